"""The `qinglang` command line: one module per command or command group."""
