"""The foundation every stage stands on: the project's settings (config/vision-report.yaml), the words users read
(templates/labels.yaml, through vocabulary), number and date formatting (textfmt) and atomic file writes (atomic).
Nothing here imports any other part of vision_report; everything else may import it."""
