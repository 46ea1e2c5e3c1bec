// The inbox API's shapes, as the dashboard reads them (src/notify/notification-routes.ts).
export interface InboxItem {
  id: string;
  notificationId: string;
  at: number;
  kind: string;
  subject: string;
  text: string;
  /** a dashboard address like `#/alerts?alert=…` */
  link: string | null;
  about: { type: string; id: string } | null;
  readAt: number | null;
}

export interface InboxList {
  items: InboxItem[];
  nextCursor: string | null;
  unread: number;
}

export interface UnreadCount {
  unread: number;
}
