"""The `reel` command line: one module per subcommand, all rendering errors in main."""
