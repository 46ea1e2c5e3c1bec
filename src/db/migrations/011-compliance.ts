// Tables of migration 011_compliance.
import type { StoreMigration } from '../migrations.ts';

export const migration011: StoreMigration = {
  name: '011_compliance',
  async up() {
    // filled by the module that owns these tables
  },
};
