// An SVG line chart (log–log) of creation cost against image size, drawn from the measured figures.

const WIDTH = 760;
const HEIGHT = 440;
const MARGIN = { left: 70, right: 190, top: 40, bottom: 60 };
const COLORS = { 'ours dynamic': '#1f77b4', 'ours fixed': '#2ca02c', 'qemu-img dynamic': '#d62728', 'qemu-img fixed': '#ff7f0e' };

/** Coordinates to 0.1 px keep the file small and stable. */
function round(value) {
  return Math.round(value * 10) / 10;
}

function escapeXml(text) {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * @param {Record<string, { sizeBytes: number, ms: number, min: number, max: number }[]>} series
 * @param {{ title: string, sizeLabel: (bytes: number) => string }} options
 */
export function creationCostChart(series, { title, sizeLabel }) {
  const points = Object.values(series).flat();
  if (points.length === 0) return undefined;
  const sizes = [...new Set(points.map((point) => point.sizeBytes))].toSorted((a, b) => a - b);
  const xMin = Math.log10(sizes[0]);
  const xMax = Math.log10(sizes[sizes.length - 1]);
  const yMin = Math.floor(Math.log10(Math.min(...points.map((point) => point.min))));
  const yMax = Math.ceil(Math.log10(Math.max(...points.map((point) => point.max))));
  const plotWidth = WIDTH - MARGIN.left - MARGIN.right;
  const plotHeight = HEIGHT - MARGIN.top - MARGIN.bottom;
  const x = (bytes) => round(MARGIN.left + ((Math.log10(bytes) - xMin) / (xMax - xMin || 1)) * plotWidth);
  const y = (ms) => round(MARGIN.top + plotHeight - ((Math.log10(ms) - yMin) / (yMax - yMin || 1)) * plotHeight);

  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${MARGIN.left}" y="22" font-size="15" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  for (let decade = yMin; decade <= yMax; decade++) {
    const ms = 10 ** decade;
    parts.push(
      `<line x1="${MARGIN.left}" x2="${MARGIN.left + plotWidth}" y1="${y(ms)}" y2="${y(ms)}" stroke="#ddd"/>`,
      `<text x="${MARGIN.left - 8}" y="${y(ms) + 4}" text-anchor="end">${ms >= 1 ? ms : ms.toFixed(-decade)} ms</text>`,
    );
  }
  for (const size of sizes) {
    parts.push(
      `<line x1="${x(size)}" x2="${x(size)}" y1="${MARGIN.top}" y2="${MARGIN.top + plotHeight}" stroke="#eee"/>`,
      `<text x="${x(size)}" y="${MARGIN.top + plotHeight + 18}" text-anchor="middle">${escapeXml(sizeLabel(size))}</text>`,
    );
  }
  parts.push(
    `<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${plotWidth}" height="${plotHeight}" fill="none" stroke="#444"/>`,
    `<text x="${MARGIN.left + plotWidth / 2}" y="${HEIGHT - 15}" text-anchor="middle">virtual size (log scale)</text>`,
    `<text x="18" y="${MARGIN.top + plotHeight / 2}" text-anchor="middle" transform="rotate(-90 18 ${MARGIN.top + plotHeight / 2})">median time, min–max bars (log scale)</text>`,
  );
  let legendY = MARGIN.top + 10;
  for (const [name, line] of Object.entries(series)) {
    if (line.length === 0) continue;
    const color = COLORS[name] ?? '#555';
    const dashed = name.startsWith('qemu') ? ' stroke-dasharray="6 4"' : '';
    parts.push(`<polyline fill="none" stroke="${color}" stroke-width="2"${dashed} points="${line.map((point) => `${x(point.sizeBytes)},${y(point.ms)}`).join(' ')}"/>`);
    for (const point of line) {
      parts.push(
        `<line x1="${x(point.sizeBytes)}" x2="${x(point.sizeBytes)}" y1="${y(point.min)}" y2="${y(point.max)}" stroke="${color}"/>`,
        `<circle cx="${x(point.sizeBytes)}" cy="${y(point.ms)}" r="3.5" fill="${color}"/>`,
      );
    }
    const legendX = MARGIN.left + plotWidth + 16;
    parts.push(
      `<line x1="${legendX}" x2="${legendX + 28}" y1="${legendY}" y2="${legendY}" stroke="${color}" stroke-width="2"${dashed}/>`,
      `<text x="${legendX + 36}" y="${legendY + 4}">${escapeXml(name)}</text>`,
    );
    legendY += 20;
  }
  parts.push('</svg>');
  return `${parts.join('\n')}\n`;
}
