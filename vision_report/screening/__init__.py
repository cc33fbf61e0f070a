"""Stage 2 of a year — screening: decide what of the received data may be used. Rows are prepared against the plan
(prepare), checked by the Great Expectations suites in expectations/ (validation), each file accepted, accepted with
warnings or refused whole (screen), and probable errors held as 要確認 until a coordinator confirms them
(confirmations). Screening imports intake and the plan, never compute or outputs."""
