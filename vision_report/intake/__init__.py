"""Stage 1 of a year — intake: receive what members send. Find the files under inputs/<FY>/ (files), archive each by
its SHA-256 before it is read, decode CSV/Excel as Excel writes them, normalise headers, numbers and units
(normalize), and read the coordinator's panel-opinions file (panel_opinions). No judgement about the values is made
here: intake hands rows and the problems of reading them to screening."""
