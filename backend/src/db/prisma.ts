import { PrismaPg } from '@prisma/adapter-pg';
import type pg from 'pg';
import { Prisma, PrismaClient } from './generated/client.js';

export { Prisma };
export type Db = PrismaClient;
export type Tx = Prisma.TransactionClient;

export function createPrisma(pool: pg.Pool): PrismaClient {
  // 'minimal' skips capturing a call-site stack on every query (a measurable share of a read's CPU).
  return new PrismaClient({ adapter: new PrismaPg(pool), errorFormat: 'minimal' });
}
