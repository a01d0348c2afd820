// Command dlgen compiles deep-learning models written with package nn into plain Go.
//
// Usage:
//
//	dlgen <command> [flags] [arguments]
//
// The commands are:
//
//	generate   write the Go package of one or more models
//	dump       print a model's layers and IR as text, Graphviz DOT or JSON
//	version    print dlgen's version
//	help       describe a command
//
// Run "dlgen help <command>" for a command's flags. Exit status: 0 on success, 1 when
// the command fails, 2 on a usage error.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// command is one subcommand. setup defines its flags on a fresh FlagSet and returns
// the function that runs it with the remaining arguments, so "dlgen help cmd" can
// print the flags without running anything.
type command struct {
	name     string
	synopsis string // arguments after "dlgen name"
	short    string // one line for the command list
	long     string // the help text, before the flags
	setup    func(fs *flag.FlagSet) func(e *env, args []string) error
}

// env is what a command may touch, so tests can capture it.
type env struct {
	stdout, stderr io.Writer
}

// usageError is a command line that cannot be run as written; it exits with 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error {
	return &usageError{msg: fmt.Sprintf(format, args...)}
}

var commands []*command

func init() {
	commands = []*command{generateCmd, dumpCmd, versionCmd}
}

func lookup(name string) *command {
	for _, c := range commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// run is main without os.Exit: it returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		printUsage(stderr)
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "-h", "-help", "--help":
		printUsage(stdout)
		return 0
	case "help":
		return help(e, rest)
	}
	c := lookup(name)
	if c == nil {
		fmt.Fprintf(stderr, "dlgen: unknown command %q\n", name)
		fmt.Fprintln(stderr, "Run 'dlgen help' for the list of commands.")
		return 2
	}
	fs := flag.NewFlagSet("dlgen "+c.name, flag.ContinueOnError)
	// flag would print its own message and the defaults to stderr; the messages
	// below say the same once and point at the help.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	runCmd := c.setup(fs)
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printCommandHelp(stdout, c)
			return 0
		}
		fmt.Fprintf(stderr, "dlgen %s: %v\n", c.name, err)
		fmt.Fprintf(stderr, "usage: dlgen %s %s\nRun 'dlgen help %s' for details.\n", c.name, c.synopsis, c.name)
		return 2
	}
	if err := runCmd(e, fs.Args()); err != nil {
		fmt.Fprintf(stderr, "dlgen %s: %v\n", c.name, err)
		var u *usageError
		if errors.As(err, &u) {
			fmt.Fprintf(stderr, "usage: dlgen %s %s\nRun 'dlgen help %s' for details.\n", c.name, c.synopsis, c.name)
			return 2
		}
		return 1
	}
	return 0
}

func help(e *env, args []string) int {
	switch len(args) {
	case 0:
		printUsage(e.stdout)
		return 0
	case 1:
		if c := lookup(args[0]); c != nil {
			printCommandHelp(e.stdout, c)
			return 0
		}
		if args[0] == "help" {
			fmt.Fprintln(e.stdout, "usage: dlgen help [command]\n\nDescribes a command, or lists them all.")
			return 0
		}
		fmt.Fprintf(e.stderr, "dlgen help: unknown command %q\nRun 'dlgen help' for the list of commands.\n", args[0])
		return 2
	default:
		fmt.Fprintln(e.stderr, "usage: dlgen help [command]")
		return 2
	}
}

func printUsage(w io.Writer) {
	fmt.Fprint(w, `dlgen compiles deep-learning models written with package nn into plain Go.

Usage:

	dlgen <command> [flags] [arguments]

The commands are:

`)
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.short)
	}
	fmt.Fprintf(w, "\t%-10s %s\n", "help", "describe a command")
	fmt.Fprint(w, `
Run 'dlgen help <command>' for a command's flags.

A model is an exported function of type func() *nn.Model with a //dlgen:model line in
its doc comment. A typical use is a go:generate line next to it:

	//go:generate go run github.com/dlgen/dlgen/cmd/dlgen generate -model MLP -out ../generated/mlp
`)
}

func printCommandHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: dlgen %s %s\n\n%s\n", c.name, c.synopsis, strings.TrimSpace(c.long))
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	c.setup(fs)
	has := false
	fs.VisitAll(func(*flag.Flag) { has = true })
	if has {
		fmt.Fprintln(w, "\nFlags:")
		fs.SetOutput(w)
		fs.PrintDefaults()
	}
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out
}
