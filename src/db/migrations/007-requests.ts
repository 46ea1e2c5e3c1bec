// Tables of migration 007_requests_reports.
import type { StoreMigration } from '../migrations.ts';

export const migration007: StoreMigration = {
  name: '007_requests_reports',
  async up() {
    // filled by the module that owns these tables
  },
};
