import { MetricUnit, type Metrics } from '@aws-lambda-powertools/metrics';
import type { IngestResult } from '#shared/ingest/index.ts';

/** What every ingest counts for the dashboard: records, events, rejections, new flags by severity, tag lookups missed. */
export function countIngest(metrics: Metrics, result: IngestResult): void {
  const raised = result.changes.filter((c) => !c.before);
  metrics.addMetric('Records', MetricUnit.Count, result.records);
  metrics.addMetric('Events', MetricUnit.Count, result.events);
  metrics.addMetric('Rejected', MetricUnit.Count, result.rejected);
  metrics.addMetric('FlagsRaised', MetricUnit.Count, raised.length);
  // Data objects classified without their own tags: denied is alarmed, skipped shows a missing dataBuckets entry.
  metrics.addMetric('TagLookupsDenied', MetricUnit.Count, result.tagLookupsDenied ?? 0);
  metrics.addMetric('TagLookupsSkipped', MetricUnit.Count, result.tagLookupsSkipped ?? 0);
  for (const c of raised) metrics.addMetric(`Flags_${c.after.severity}`, MetricUnit.Count, 1);
}
