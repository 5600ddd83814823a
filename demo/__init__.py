"""The demo city (`manage.py load_demo`): data of every app, so it sits above them all."""
