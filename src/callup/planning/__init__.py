"""Force planning: a pure monthly stock-and-flow manpower model, its projection, Monte Carlo,
quota solver and yield calibration (numpy/scipy only, no database).

Modules: `scenario` (the TOML scenario and its validation), `model` (the stock-and-flow engine
and deterministic projection), `montecarlo` (vectorised runs and bands), `solver` (smallest
quotas as a linear program), `calibration` (yields per person called from campaign outcomes),
`markov` (textbook grade-transition helpers), `lp` (a small linear-program builder), `plots`
and `commands` (the `callup plan` CLI).
"""
