/** A sweep that would run more commands than this asks first (`--yes`): at a few seconds each, that is hours. */
export const SWEEP_CONFIRM_RUNS = 500;
