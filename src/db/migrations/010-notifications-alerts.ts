// Tables of migration 010_notifications_alerts.
import type { StoreMigration } from '../migrations.ts';

export const migration010: StoreMigration = {
  name: '010_notifications_alerts',
  async up() {
    // filled by the module that owns these tables
  },
};
