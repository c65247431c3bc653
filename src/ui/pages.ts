/** The navigation: one entry per page (its page file in pages/, its route in app.tsx). */
export const NAV = [
  { path: 'overview', label: 'Overview' },
  { path: 'schedules', label: 'Schedules' },
  { path: 'runs', label: 'Runs' },
  { path: 'models', label: 'Models' },
  { path: 'decisions', label: 'Decisions' },
  { path: 'alerts', label: 'Alerts' },
  { path: 'notifications', label: 'Notifications' },
  { path: 'audit', label: 'Audit' },
] as const;
