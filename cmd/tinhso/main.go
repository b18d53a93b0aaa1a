// Command tinhso is the provincial digital-transformation platform: one
// binary for the web UI, the JSON API and the administration commands.
package main

import (
	"os"

	"github.com/tinhso/tinhso/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)) }
