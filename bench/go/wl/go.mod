module dlgenbench/wl

go 1.26.0
