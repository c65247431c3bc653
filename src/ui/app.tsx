/** The frame: skip link, navigation, sign-in, and the page the address names. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { SignIn } from './components/sign-in.tsx';
import { NAV } from './pages.ts';
import { AlertsPage } from './pages/alerts.tsx';
import { AuditPage } from './pages/audit.tsx';
import { DecisionsPage } from './pages/decisions.tsx';
import { ModelDetailPage } from './pages/model-detail.tsx';
import { ModelsPage } from './pages/models.tsx';
import { NotificationsPage } from './pages/notifications.tsx';
import { OverviewPage } from './pages/overview.tsx';
import { RunDetailPage } from './pages/run-detail.tsx';
import { RunsPage } from './pages/runs.tsx';
import { ScheduleDetailPage } from './pages/schedule-detail.tsx';
import { SchedulesPage } from './pages/schedules.tsx';
import { href, useRoute, type Route } from './router.ts';

function Page({ route }: { route: Route }) {
  const [first = 'overview', second, third] = route.path;
  if (first === 'schedules') return second ? <ScheduleDetailPage id={second} /> : <SchedulesPage route={route} />;
  if (first === 'runs') return second ? <RunDetailPage id={second} /> : <RunsPage route={route} />;
  if (first === 'models') return second && third ? <ModelDetailPage tenantId={second} name={third} /> : <ModelsPage route={route} />;
  if (first === 'decisions') return <DecisionsPage route={route} />;
  if (first === 'alerts') return <AlertsPage route={route} />;
  if (first === 'notifications') return <NotificationsPage route={route} />;
  if (first === 'audit') return <AuditPage route={route} />;
  if (first === 'overview') return <OverviewPage />;
  return (
    <>
      <h1>Not found</h1>
      <p>
        No page at “{route.path.join('/')}”. <a href={href(['overview'])}>Go to the overview</a>.
      </p>
    </>
  );
}

export function App() {
  const route = useRoute();
  const [session, setSession] = useState(0);
  const main = useRef<HTMLElement>(null);
  const current = route.path[0] ?? 'overview';
  const key = route.path.join('/');
  // A new page moves focus to its content, as a page load would, so keyboard users start there.
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.focus();
  }, [key]);
  useEffect(() => {
    const label = NAV.find((n) => n.path === current)?.label ?? 'nightshift';
    document.title = `${label} · nightshift`;
  }, [current]);
  return (
    <>
      <a class="skip" href="#main" onClick={(e) => (e.preventDefault(), main.current?.focus())}>
        Skip to content
      </a>
      <header class="top">
        <span class="brand">nightshift</span>
        <nav aria-label="Pages">
          <ul>
            {NAV.map((n) => (
              <li key={n.path}>
                <a href={href([n.path])} aria-current={n.path === current ? 'page' : undefined}>
                  {n.label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <SignIn onChange={() => setSession(session + 1)} />
      </header>
      <main id="main" ref={main} tabIndex={-1} key={session}>
        <Page route={route} />
      </main>
    </>
  );
}
