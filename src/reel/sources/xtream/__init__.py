"""Xtream Codes panels (player_api.php, xmltv.php, /live|movie|series streams)."""
