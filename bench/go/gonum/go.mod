module dlgenbench/gonum

go 1.26.0

require dlgenbench/wl v0.0.0

require gonum.org/v1/gonum v0.17.0

replace dlgenbench/wl => ../wl
