// Tables of migration 008_incidents.
import type { StoreMigration } from '../migrations.ts';

export const migration008: StoreMigration = {
  name: '008_incidents',
  async up() {
    // filled by the module that owns these tables
  },
};
