// The assertions every scenario test ends with: nothing lost, no wrong final state, no other problem.
import type { ScenarioReport } from '../../harness/scenario-runner';

export function expectClean(report: ScenarioReport): void {
  // Printed on failure with the problems, so a red test says what went wrong.
  expect({
    lost: report.lost,
    wrongFinalStates: report.wrongFinalStates,
    problems: report.problems.slice(0, 20),
  }).toEqual({
    lost: 0,
    wrongFinalStates: 0,
    problems: [],
  });
}
