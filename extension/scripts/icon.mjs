// Draws media/icon.png (128×128, the marketplace icon): a rocket-orange disc with a white ring and tail, a "q"
// for Rocqet. Written as a PNG by hand (zlib + CRC32) so no image library is needed.
import { writeFileSync } from 'node:fs';
import { deflateSync } from 'node:zlib';

const size = 128;
const px = Buffer.alloc(size * size * 4);
const mix = (a, b, t) => Math.round(a + (b - a) * t);
for (let y = 0; y < size; y++) {
  for (let x = 0; x < size; x++) {
    const i = (y * size + x) * 4;
    const cx = x + 0.5 - 64;
    const cy = y + 0.5 - 64;
    const r = Math.hypot(cx, cy);
    const disc = Math.max(0, Math.min(1, 60 - r));
    const t = (x + y) / (2 * size);
    let [R, G, B] = [mix(0xff, 0xd9, t), mix(0x7a, 0x3b, t), mix(0x2f, 0x1e, t)];
    const ring = Math.max(0, Math.min(1, 7 - Math.abs(Math.hypot(cx + 8, cy + 8) - 26)));
    const tail = cx > 4 && cy > 4 && Math.abs(cx - cy) < 7 && cx < 40 ? 1 : 0;
    const white = Math.max(ring, tail);
    R = mix(R, 255, white);
    G = mix(G, 255, white);
    B = mix(B, 255, white);
    px.set([R, G, B, Math.round(255 * disc)], i);
  }
}
const raw = Buffer.alloc(size * (size * 4 + 1));
for (let y = 0; y < size; y++) px.copy(raw, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
const chunk = (type, data) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type), data]);
  const c = Buffer.alloc(4);
  c.writeUInt32BE(crc(body));
  return Buffer.concat([len, body, c]);
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(size, 0);
ihdr.writeUInt32BE(size, 4);
ihdr.set([8, 6, 0, 0, 0], 8);
const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
writeFileSync(new URL('../media/icon.png', import.meta.url), png);
