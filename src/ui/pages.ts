/**
 * The navigation: one entry per page. Alerts, notifications and audit join here (with their page
 * file) once their routes exist (issues 16 and 17).
 */
export const NAV = [
  { path: 'overview', label: 'Overview' },
  { path: 'schedules', label: 'Schedules' },
  { path: 'runs', label: 'Runs' },
  { path: 'models', label: 'Models' },
  { path: 'decisions', label: 'Decisions' },
] as const;
