// The identifiers a restore makes, from the instance and the run's stamp: the restored instance
// (`<instance>-restored-<stamp>`) and, with a swap, where the source is put aside
// (`<instance>-pre-restore-<stamp>`). RDS allows 63 characters: a long instance identifier is cut
// so that the suffix always fits (never ending in '-'). The grants allow exactly these prefixes.

/** RDS's longest DB instance identifier. */
const MAX_ID = 63;
/** The run's stamp: YYYYMMDDHHMM. */
const STAMP_LENGTH = 12;

const prefixOf = (instance: string, role: string) => {
  const cut = MAX_ID - role.length - 2 - STAMP_LENGTH;
  return `${instance.toLowerCase().slice(0, cut).replace(/-+$/, '')}-${role}-`;
};

/** What a restored instance of `instance` is named with first. */
export const restoredPrefix = (instance: string) => prefixOf(instance, 'restored');
/** What the source instance put aside by a swap is named with first. */
export const asidePrefix = (instance: string) => prefixOf(instance, 'pre-restore');
