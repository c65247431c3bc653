/** A Theil–Sen trend (monitor/trend.ts) and a champion's live metric as the API returns them. */
import { Type } from 'typebox';
import type { TrendResult } from '../monitor/trend.ts';
import type { ChampionLive } from '../services/series-service.ts';
import { iso } from './dto.ts';

export const TrendSchema = Type.Object(
  {
    trend: Type.String({ enum: ['improving', 'stable', 'declining', 'insufficient'], description: 'insufficient: fewer points than the monitor needs for a trend' }),
    slope: Type.Union([Type.Number(), Type.Null()], { description: 'Theil–Sen slope per point, in the metric’s own direction' }),
    change: Type.Union([Type.Number(), Type.Null()], { description: 'slope × (points − 1): the change across the window' }),
    points: Type.Integer({ description: 'the latest points the trend is of' }),
  },
  { description: "the trend of the latest points, as the monitor judges MODEL_DEGRADATION (the model's trendTolerance)" },
);

export const trendDto = (t: TrendResult) => ({ trend: t.trend, slope: t.slope, change: t.change, points: t.points });

export const ChampionLiveSchema = Type.Union(
  [
    Type.Object({
      metric: Type.String({ description: 'the primary metric the point was scored with' }),
      value: Type.Number(),
      accuracy: Type.Union([Type.Number(), Type.Null()], { description: 'binary models' }),
      labelled: Type.Integer({ description: 'labelled predictions the latest point was scored on' }),
      version: Type.Integer({ description: 'the champion version' }),
      at: Type.String({ format: 'date-time', description: 'when the latest point was recorded' }),
      trend: TrendSchema,
    }),
    Type.Null(),
  ],
  { description: "the champion's latest live point and its trend; null without a champion or before its first labels arrive" },
);

export const championLiveDto = (l: ChampionLive | undefined) => (l ? { metric: l.metric, value: l.value, accuracy: l.accuracy, labelled: l.labelled, version: l.version, at: iso(l.at), trend: trendDto(l.trend) } : null);
