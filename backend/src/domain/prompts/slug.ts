/** A slug from a title: ASCII letters and digits joined by hyphens; titles with none of those get a fallback. */
export function slugify(title: string, fallback = 'prompt'): string {
  const slug = title
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80)
    .replace(/-+$/g, '');
  return slug || fallback;
}
