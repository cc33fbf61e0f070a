"""Stage 4 of a year — outputs: everything a person reads. CSV writers (writers), the feedback to each submitter
(feedback), the submission templates (submission_templates), the Word and PDF reports (reports/) and the one function
that writes a year's set into its staging folder (year). Words come from templates/; numbers come from compute."""
