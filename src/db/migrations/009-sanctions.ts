// Tables of migration 009_sanctions.
import type { StoreMigration } from '../migrations.ts';

export const migration009: StoreMigration = {
  name: '009_sanctions',
  async up() {
    // filled by the module that owns these tables
  },
};
