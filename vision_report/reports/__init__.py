"""Word reports (python-docx)."""
