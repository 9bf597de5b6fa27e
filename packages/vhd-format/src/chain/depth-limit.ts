/**
 * Most images a chain may hold, the top one included: the one limit creation, opening and checking all apply
 * (a child made on a 32-image chain could never be opened). Windows refuses chains deeper than this as well.
 */
export const MAX_CHAIN_DEPTH = 32;
