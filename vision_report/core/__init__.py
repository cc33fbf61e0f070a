"""The foundation every stage stands on: where the project is (paths), its settings (config/vision-report.yaml), the
words users read (templates/labels.yaml, through vocabulary), number and date formatting (textfmt), atomic file writes
(atomic), workbooks saved with the same bytes for the same content (xlsx), and the append-only audit log with the
per-year run and publication locks (audit). Nothing here imports any other part of vision_report; everything else may
import it."""
