// The itinerary email's HTML and plain-text bodies, from an already translated view. Pure.
// The HTML is a single-column table with inline styles: mail clients (Outlook's Word engine
// above all) ignore <style> blocks and most modern CSS.
import type { SegmentRow } from '../domain/describe-segment.ts';
import type { Locale } from '../domain/types.ts';

/** What a booking change did to a segment, shown beside it. */
export type SegmentMark = 'added' | 'changed' | 'cancelled';

export interface ItinerarySegmentView {
  mark?: { kind: SegmentMark; label: string };
  summary: string;
  rows: SegmentRow[];
}

export interface ItineraryEmailView {
  locale: Locale;
  subject: string;
  greeting: string;
  intro: string;
  bookingReference: { label: string; value: string };
  tripLink: { label: string; url: string };
  segments: ItinerarySegmentView[];
  /** Paragraphs about lapsed calendar connections; absent when they are fine. */
  reconnect?: string[];
  /** What the attached .ics does; absent when nothing is attached. */
  calendarNote?: string;
  footer: string;
  signature: string;
  /** schema.org reservations as JSON text for a <script type="application/ld+json"> (already escaped for it). */
  jsonLd?: string;
}

const AMP = /&/g;
const LT = /</g;
const GT = />/g;
const QUOT = /"/g;
const APOS = /'/g;

/** Text → HTML text or attribute value. Every interpolated string goes through this. */
export function escapeHtml(text: string): string {
  return text.replace(AMP, '&amp;').replace(LT, '&lt;').replace(GT, '&gt;').replace(QUOT, '&quot;').replace(APOS, '&#39;');
}

// Colours with at least 4.5:1 contrast on their backgrounds (WCAG 2.1 §1.4.3); the mark's word
// says the same as its colour, so nothing depends on seeing colour.
const MARK_COLOURS: Record<SegmentMark, { ink: string; paper: string }> = {
  added: { ink: '#1e6b34', paper: '#e6f4ea' },
  changed: { ink: '#8a4b00', paper: '#fff4e5' },
  cancelled: { ink: '#a50e0e', paper: '#fdecea' },
};

const FONT =
  "font-family:-apple-system,'Segoe UI','Hiragino Sans','Hiragino Kaku Gothic ProN',Meiryo,'Helvetica Neue',Arial,sans-serif;";

function renderSegmentHtml(segment: ItinerarySegmentView): string {
  const cancelled = segment.mark?.kind === 'cancelled';
  const colours = segment.mark ? MARK_COLOURS[segment.mark.kind] : undefined;
  const badge =
    segment.mark && colours
      ? `<span style="display:inline-block;padding:1px 6px;margin-right:6px;border-radius:3px;font-size:12px;font-weight:bold;color:${colours.ink};background:${colours.paper};border:1px solid ${colours.ink};">${escapeHtml(segment.mark.label)}</span>`
      : '';
  const summaryStyle = cancelled ? ' style="text-decoration:line-through;color:#5f6368;"' : '';
  const rows = segment.rows
    .map(
      (row) =>
        `<tr><th scope="row" style="text-align:left;vertical-align:top;padding:2px 12px 2px 0;font-weight:normal;color:#5f6368;white-space:nowrap;">${escapeHtml(row.label)}</th>` +
        `<td style="padding:2px 0;">${escapeHtml(row.value)}</td></tr>`,
    )
    .join('\n');
  const border = `border-left:4px solid ${colours ? colours.ink : '#dadce0'};`;
  return `<tr><td style="padding:12px 16px;${border}">
<p style="margin:0 0 6px 0;font-size:16px;">${badge}<strong${summaryStyle}>${escapeHtml(segment.summary)}</strong></p>
<table role="presentation" cellspacing="0" cellpadding="0" style="font-size:14px;${FONT}">
${rows}
</table>
</td></tr>
<tr><td style="height:8px;line-height:8px;font-size:0;">&nbsp;</td></tr>`;
}

export function renderItineraryHtml(view: ItineraryEmailView): string {
  const reconnect = view.reconnect
    ? `<tr><td style="padding:12px 16px;background:#e8f0fe;border:1px solid #aecbfa;">${view.reconnect
        .map((p) => `<p style="margin:0 0 4px 0;">${escapeHtml(p)}</p>`)
        .join('')}</td></tr>
<tr><td style="height:16px;line-height:16px;font-size:0;">&nbsp;</td></tr>`
    : '';
  return `<!DOCTYPE html>
<html lang="${view.locale}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(view.subject)}</title>
${view.jsonLd ? `<script type="application/ld+json">${view.jsonLd}</script>\n` : ''}</head>
<body style="margin:0;padding:0;background:#ffffff;color:#202124;">
<table role="presentation" width="100%" cellspacing="0" cellpadding="0" style="max-width:640px;margin:0 auto;font-size:15px;line-height:1.5;${FONT}">
<tr><td style="padding:16px 0;">
<p style="margin:0 0 12px 0;">${escapeHtml(view.greeting)}</p>
<p style="margin:0 0 12px 0;">${escapeHtml(view.intro)}</p>
<p style="margin:0 0 16px 0;">${escapeHtml(view.bookingReference.label)}: <strong>${escapeHtml(view.bookingReference.value)}</strong></p>
</td></tr>
${reconnect}
${view.segments.map(renderSegmentHtml).join('\n')}
<tr><td style="padding:8px 0 16px 0;">
<p style="margin:0 0 16px 0;"><a href="${escapeHtml(view.tripLink.url)}" style="display:inline-block;padding:8px 16px;background:#1a73e8;color:#ffffff;text-decoration:none;border-radius:4px;">${escapeHtml(view.tripLink.label)}</a></p>
${view.calendarNote ? `<p style="margin:0 0 12px 0;color:#5f6368;font-size:13px;">${escapeHtml(view.calendarNote)}</p>\n` : ''}<p style="margin:0;color:#5f6368;font-size:13px;">${escapeHtml(view.footer)}<br>${escapeHtml(view.signature)}</p>
</td></tr>
</table>
</body>
</html>
`;
}

export function renderItineraryText(view: ItineraryEmailView): string {
  const lines: string[] = [view.greeting, '', view.intro, '', `${view.bookingReference.label}: ${view.bookingReference.value}`, ''];
  if (view.reconnect) lines.push(...view.reconnect, '');
  for (const segment of view.segments) {
    lines.push(`${segment.mark ? `[${segment.mark.label}] ` : ''}${segment.summary}`);
    for (const row of segment.rows) lines.push(`  ${row.label}: ${row.value}`);
    lines.push('');
  }
  lines.push(`${view.tripLink.label}: ${view.tripLink.url}`, '');
  if (view.calendarNote) lines.push(view.calendarNote, '');
  lines.push(view.footer, view.signature, '');
  return lines.join('\n');
}
