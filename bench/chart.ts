/**
 * The chart `npm run bench` writes beside its JSON: calls per second of
 * every rate row, grouped as the table groups them (protocol and payload),
 * each group's floor or peer drawn first and lighter, with the row's ratio
 * to it. An SVG with no dependencies.
 */
export interface ChartRow {
  group: string;
  name: string;
  floor: boolean;
  unit: string;
  median: number;
  ratioToFloor: number | null;
}

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function fmt(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : n.toFixed(0);
}

export function chartSvg(rows: readonly ChartRow[], title: string): string {
  const rate = rows.filter((r) => r.unit === "ops/s" && Number.isFinite(r.median));
  const groups = [...new Set(rate.map((r) => r.group))];
  const barH = 16;
  const gap = 4;
  const groupGap = 14;
  const labelW = 560;
  const barW = 420;
  let y = 40;
  const parts: string[] = [];
  for (const g of groups) {
    const members = rate.filter((r) => r.group === g).sort((a, b) => Number(b.floor) - Number(a.floor));
    const max = Math.max(...members.map((m) => m.median));
    parts.push(`<text x="8" y="${y + 11}" font-weight="bold" font-size="12">${esc(g)}</text>`);
    y += barH + gap;
    for (const m of members) {
      const w = Math.max(1, Math.round((m.median / max) * barW));
      const ratio = m.floor ? "floor" : m.ratioToFloor !== null ? `${m.ratioToFloor.toFixed(2)}x` : "";
      parts.push(
        `<text x="16" y="${y + 12}" font-size="11">${esc(m.name.length > 88 ? m.name.slice(0, 85) + "..." : m.name)}</text>`,
        `<rect x="${labelW}" y="${y}" width="${w}" height="${barH}" fill="${m.floor ? "#b8c4d6" : "#3867a8"}"/>`,
        `<text x="${labelW + w + 6}" y="${y + 12}" font-size="11">${fmt(m.median)}/s ${esc(ratio)}</text>`,
      );
      y += barH + gap;
    }
    y += groupGap;
  }
  const width = labelW + barW + 140;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y + 10}" font-family="sans-serif">`,
    `<rect width="100%" height="100%" fill="white"/>`,
    `<text x="8" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
    ...parts,
    "</svg>",
    "",
  ].join("\n");
}
