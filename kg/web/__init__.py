"""The endpoint's web page: a Jinja template and its script and style, served from this host only."""
