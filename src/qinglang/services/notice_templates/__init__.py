"""Notice templates (Jinja2), Chinese and English; rendered by services/notices.py."""
