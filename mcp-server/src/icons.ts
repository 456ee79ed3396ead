import type { Icon } from '@modelcontextprotocol/server';

/**
 * Rocqet's mark, as icons for the server, its prompts, resources and tools. Data URIs (the spec allows them), so a
 * client shows it without fetching anything from anywhere; one for light themes and one for dark.
 */
function svg(stroke: string): string {
  const body =
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="${stroke}" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">` +
    '<path d="M12 2c3 2.5 4.5 6 4.5 10.5L12 17l-4.5-4.5C7.5 8 9 4.5 12 2z"/><circle cx="12" cy="9" r="1.5"/>' +
    '<path d="M7.5 12.5 5 15l2.5 1M16.5 12.5 19 15l-2.5 1M10 19l2 3 2-3"/></svg>';
  return `data:image/svg+xml;base64,${Buffer.from(body).toString('base64')}`;
}

export const ICONS: Icon[] = [
  { src: svg('#1f2328'), mimeType: 'image/svg+xml', sizes: ['any'], theme: 'light' },
  { src: svg('#e6edf3'), mimeType: 'image/svg+xml', sizes: ['any'], theme: 'dark' },
];
