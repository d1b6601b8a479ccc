// A week view of one mailbox, Outlook-like enough for demos and screenshots: tentative events are
// hatched with a striped left bar, like Outlook draws them; free is white, busy is solid blue.
// Each event is shown in its own zones, as Outlook shows an event made in another zone: a flight
// starts at the departure's local time and ends at the arrival's, each with its zone's name, and
// sits on its local date; an all-day event (a hotel night) is on its own dates whatever the
// viewer's zone.
import { DateTime } from "luxon";
import { toInstant } from "../graph/events.ts";
import type { DateTimeTimeZone } from "../graph/events.ts";
import { escapeHtml, html } from "../http-types.ts";
import type { SbRequest, SbResponse } from "../http-types.ts";
import { DELETED_ITEMS } from "../store.ts";
import type { Store } from "../store.ts";

const SHOW_AS_LABEL: Record<string, { en: string; ja: string }> = {
  free: { en: "Free", ja: "空き時間" },
  tentative: { en: "Tentative", ja: "仮の予定" },
  busy: { en: "Busy", ja: "予定あり" },
  oof: { en: "Away", ja: "外出中" },
  workingElsewhere: { en: "Working elsewhere", ja: "他の場所で作業中" },
  unknown: { en: "Unknown", ja: "不明" },
};

export function indexPage(store: Store, baseUrl: string): SbResponse {
  const rows = store.tenants
    .map(
      (t) =>
        `<h2>${escapeHtml(t.displayName)} <small>${escapeHtml(t.domain)} · ${escapeHtml(t.id)}</small></h2><ul>${t.users
          .map((u) => `<li><a href="/_sandbox/calendar/${encodeURIComponent(u.userPrincipalName)}">${escapeHtml(u.displayName)}</a> ${escapeHtml(u.userPrincipalName)}${u.isAdmin ? " (admin)" : ""}</li>`)
          .join("")}</ul>`,
    )
    .join("");
  return html(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>tripcal sandbox</title>
<style>body{font-family:"Segoe UI","Hiragino Sans",sans-serif;margin:32px}small{color:#666;font-weight:normal}</style></head>
<body><h1>tripcal sandbox (Entra ID + Graph calendar)</h1>
<p>Authority: <code>${escapeHtml(baseUrl)}/&lt;tenant&gt;</code> · Graph: <code>${escapeHtml(baseUrl)}/v1.0</code> · Control API: <code>${escapeHtml(baseUrl)}/_sandbox/</code></p>
${rows}</body></html>`,
  );
}

export function calendarPage(req: SbRequest, store: Store, nowMs: number, idOrUpn: string): SbResponse {
  const user = store.user(idOrUpn);
  if (!user) return html(404, `<!doctype html><p>Unknown mailbox ${escapeHtml(idOrUpn)}</p>`);
  const lang = req.query.get("lang") === "en" || (req.query.get("lang") !== "ja" && !(user.preferredLanguage ?? "").startsWith("ja")) ? "en" : "ja";
  const zone = req.query.get("tz") ?? (lang === "ja" ? "Asia/Tokyo" : "UTC");
  const events = store
    .mailbox(user.id)
    // What the calendars show: not Deleted Items.
    .filter((e) => e.start && e.end && store.folderOf(user.id, e) !== DELETED_ITEMS)
    .map((e) => {
      const start = e.start as DateTimeTimeZone;
      const end = e.end as DateTimeTimeZone;
      // Wall-clock times in the event's own zones (luxon keeps the zone it parsed in).
      const s = toInstant(start);
      const en = toInstant(end);
      const allDay = !!e.isAllDay;
      // The local dates it covers: an all-day event's end date is exclusive.
      const firstDay = s.toISODate()!;
      const lastDay = (allDay ? en.minus({ days: 1 }) : en.minus({ milliseconds: 1 }) < s ? s : en.minus({ milliseconds: 1 })).toISODate()!;
      return { e, s, en, allDay, firstDay, lastDay };
    });
  let anchor = DateTime.fromMillis(nowMs, { zone });
  const week = req.query.get("week");
  if (week) anchor = DateTime.fromISO(week, { zone });
  else {
    const upcoming = events.filter(({ en }) => en.toMillis() >= nowMs).sort((a, b) => a.s.toMillis() - b.s.toMillis())[0];
    if (upcoming) anchor = DateTime.fromISO(upcoming.firstDay, { zone });
  }
  const monday = anchor.startOf("week");
  const days = Array.from({ length: 7 }, (_, i) => monday.plus({ days: i }));
  const at = (t: DateTime, withZone: boolean) => `${t.toFormat("HH:mm")}${withZone ? ` ${t.setLocale(lang).toFormat("ZZZZ")}` : ""}`;
  const cols = days
    .map((day) => {
      const date = day.toISODate()!;
      const items = events
        .filter(({ firstDay, lastDay }) => firstDay <= date && lastDay >= date)
        .sort((a, b) => Number(b.allDay) - Number(a.allDay) || a.s.toMillis() - b.s.toMillis())
        .map(({ e, s, en, allDay, firstDay, lastDay }) => {
          const showAs = String(e.showAs ?? "busy");
          const label = SHOW_AS_LABEL[showAs]?.[lang] ?? showAs;
          const loc = (e.location as { displayName?: string } | undefined)?.displayName;
          // Each end in its own zone, named; an event crossing midnight shows where it starts and
          // ends, like Outlook's "→" marks.
          const from = `${firstDay < date ? `(${s.toFormat("M/d")}) ` : ""}${at(s, true)}`;
          const to = `${at(en, true)}${lastDay > date ? ` (${en.toFormat("M/d")})` : ""}`;
          const time = allDay ? (lang === "ja" ? "終日" : "All day") : `${from} – ${to}`;
          return `<article class="ev ${escapeHtml(showAs)}${e.isCancelled ? " cancelled" : ""}" data-show-as="${escapeHtml(showAs)}" aria-label="${escapeHtml(`${String(e.subject ?? "")} (${label})`)}">
<div class="time">${escapeHtml(time)}</div><div class="subj">${escapeHtml(String(e.subject ?? ""))}</div>${loc ? `<div class="loc">${escapeHtml(loc)}</div>` : ""}<div class="status">${escapeHtml(label)}</div></article>`;
        })
        .join("");
      return `<section class="day" data-date="${date}"><h2>${escapeHtml(day.setLocale(lang).toFormat(lang === "ja" ? "M/d (ccc)" : "ccc d LLL"))}</h2>${items}</section>`;
    })
    .join("");
  const nav = (d: DateTime, text: string) =>
    `<a href="?week=${d.toISODate()}&tz=${encodeURIComponent(zone)}&lang=${lang}">${text}</a>`;
  return html(
    200,
    `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><title>${escapeHtml(user.displayName)} – ${lang === "ja" ? "予定表" : "Calendar"}</title>
<style>
body{font-family:"Segoe UI","Hiragino Sans",Meiryo,sans-serif;margin:0;background:#faf9f8}
header{background:#0f6cbd;color:#fff;padding:10px 20px}header a{color:#fff;margin-right:12px}
.week{display:grid;grid-template-columns:repeat(7,1fr);gap:4px;padding:12px}
.day{background:#fff;min-height:320px;border:1px solid #e1dfdd;padding:4px}.day h2{font-size:14px;margin:4px}
.ev{border-left:6px solid #0f6cbd;background:#cfe4fa;margin:4px 0;padding:4px 6px;font-size:13px}
.ev .time{font-weight:600}.ev .status{font-size:11px;color:#444}
.ev.busy{background:#cfe4fa}
.ev.free{background:#fff;border:1px solid #0f6cbd;border-left-width:6px}
.ev.tentative{background:repeating-linear-gradient(45deg,#ebf3fc 0 6px,#cfe4fa 6px 12px);border-left:6px solid transparent;border-image:repeating-linear-gradient(45deg,#0f6cbd 0 4px,#fff 4px 8px) 6}
.ev.oof{background:#e3c6f2;border-left-color:#8764b8}.ev.workingElsewhere{background:#fff;border-left:6px dotted #0f6cbd}
.ev.cancelled .subj{text-decoration:line-through}
</style></head><body>
<header><strong>${escapeHtml(user.displayName)}</strong> ${escapeHtml(user.userPrincipalName)} · ${escapeHtml(zone)} · ${nav(monday.minus({ weeks: 1 }), "‹")}${nav(monday.plus({ weeks: 1 }), "›")}</header>
<main class="week">${cols}</main></body></html>`,
  );
}

