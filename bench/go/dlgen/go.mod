module dlgenbench/dlgen

go 1.26.0

require (
	dlgenbench/wl v0.0.0
	github.com/dlgen/dlgen v0.0.0
)

replace (
	dlgenbench/wl => ../wl
	github.com/dlgen/dlgen => ../../..
)
