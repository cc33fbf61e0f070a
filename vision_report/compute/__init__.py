"""Stage 3 of a year — compute: pure DataFrame-in, DataFrame-out steps on the screened rows. KPI actuals, 達成率,
進捗率 and ratings, budget execution, roll-ups for every policy area, sub-field and pillar, histories and the plan
period's summary (tables), and the members' self-evaluations (evaluations). It reads no files and writes none."""
