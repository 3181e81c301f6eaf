"""Services shared by the command line and the web API."""
