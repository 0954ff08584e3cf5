"""The web interface: the Flask application, its views, exports, templates and static files."""
