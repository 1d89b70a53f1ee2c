using Mlops.ServiceDefaults;
using Npgsql;

namespace Mlops.Monitoring.Storage;

/// <summary>
/// Monitoring's own tables: reference profiles per model version, the recent feature vectors and predictions (joined by
/// the feature event id, so each prediction carries the vector it scored), the judged windows with their per-feature
/// results, and the drift alerts with their publication state;
/// the outcomes (labels) joined to predictions, each version's evaluation baseline, the scored performance windows and
/// the other alerts (<c>monitoring_alerts</c>, an outbox like <c>drift_alerts</c>); inference's request counters per pod
/// and model version as scraped (<c>slo_readings</c>, with running totals that fold counter resets in, latency
/// histogram included), the SLO alerts' debounce and the breaches raised and not yet cleared.
/// </summary>
public sealed class MonitoringDatabase(NpgsqlDataSource dataSource)
{
    const string Ddl = """
        CREATE TABLE IF NOT EXISTS reference_profiles (
            model_name text NOT NULL,
            model_version text NOT NULL,
            training_run_id text NOT NULL,
            feature_set_version text NOT NULL,
            training_rows integer NOT NULL,
            profile jsonb NOT NULL,
            stored_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            PRIMARY KEY (model_name, model_version));
        CREATE TABLE IF NOT EXISTS feature_vectors (
            event_id text PRIMARY KEY,
            entity_id text NOT NULL,
            feature_values jsonb NOT NULL,
            received_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE INDEX IF NOT EXISTS ix_feature_vectors_received ON feature_vectors (received_at);
        CREATE TABLE IF NOT EXISTS prediction_samples (
            seq bigserial PRIMARY KEY,
            event_id text NOT NULL UNIQUE,
            prediction_id text NULL,
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            entity_id text NOT NULL,
            feature_event_id text NULL,
            probability double precision NOT NULL,
            predicted_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT clock_timestamp(),
            feature_values jsonb NULL,
            count_window_id bigint NULL);
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_waiting ON prediction_samples (feature_event_id) WHERE feature_values IS NULL;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_open ON prediction_samples (model_name, model_version, variant, seq) WHERE count_window_id IS NULL;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_time ON prediction_samples (model_name, model_version, variant, predicted_at);
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_received ON prediction_samples (received_at);
        CREATE TABLE IF NOT EXISTS drift_windows (
            window_id bigserial PRIMARY KEY,
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            kind text NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            sample_count integer NOT NULL,
            evaluated_features integer NOT NULL,
            drifted_features integer NOT NULL,
            dataset_drift boolean NULL,
            evaluated_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE UNIQUE INDEX IF NOT EXISTS ux_drift_windows_time ON drift_windows (model_name, model_version, variant, window_start) WHERE kind = 'time';
        CREATE INDEX IF NOT EXISTS ix_drift_windows_model ON drift_windows (model_name, evaluated_at DESC);
        CREATE TABLE IF NOT EXISTS drift_results (
            window_id bigint NOT NULL REFERENCES drift_windows (window_id),
            feature text NOT NULL,
            method text NOT NULL,
            statistic double precision NOT NULL,
            score double precision NOT NULL,
            threshold double precision NOT NULL,
            drifted boolean NOT NULL,
            psi double precision NOT NULL,
            psi_level text NOT NULL,
            reference_count integer NOT NULL,
            current_count integer NOT NULL,
            PRIMARY KEY (window_id, feature));
        CREATE TABLE IF NOT EXISTS drift_alerts (
            alert_id uuid PRIMARY KEY,
            window_id bigint NOT NULL REFERENCES drift_windows (window_id),
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            message jsonb NOT NULL,
            detected_at timestamptz NOT NULL,
            published_at timestamptz NULL);
        CREATE INDEX IF NOT EXISTS ix_drift_alerts_unpublished ON drift_alerts (detected_at) WHERE published_at IS NULL;
        CREATE TABLE IF NOT EXISTS drift_debounce (
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            feature text NOT NULL,
            last_reported_at timestamptz NOT NULL,
            PRIMARY KEY (model_name, model_version, variant, feature));
        ALTER TABLE prediction_samples ADD COLUMN IF NOT EXISTS outcome double precision NULL;
        ALTER TABLE prediction_samples ADD COLUMN IF NOT EXISTS label_id text NULL;
        ALTER TABLE prediction_samples ADD COLUMN IF NOT EXISTS label_recorded_at timestamptz NULL;
        ALTER TABLE prediction_samples ADD COLUMN IF NOT EXISTS label_joined_at timestamptz NULL;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_prediction_id ON prediction_samples (prediction_id) WHERE prediction_id IS NOT NULL;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_entity ON prediction_samples (entity_id, predicted_at);
        DO $$
        BEGIN
            -- Predictions arrive at least once (a redelivered stream prediction gets a new event id, a relayed HTTP one
            -- may be re-sent after a crash): one sample per prediction id. Copies stored before the index existed are
            -- removed once, keeping the first.
            IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE schemaname = current_schema() AND indexname = 'ux_prediction_samples_prediction_id') THEN
                DELETE FROM prediction_samples a USING prediction_samples b WHERE a.prediction_id = b.prediction_id AND a.seq > b.seq;
                CREATE UNIQUE INDEX ux_prediction_samples_prediction_id ON prediction_samples (prediction_id) WHERE prediction_id IS NOT NULL;
            END IF;
        END $$;
        CREATE TABLE IF NOT EXISTS outcome_labels (
            label_id text PRIMARY KEY,
            entity_id text NOT NULL,
            name text NOT NULL,
            value double precision NOT NULL,
            event_time timestamptz NOT NULL,
            prediction_id text NULL,
            recorded_at timestamptz NOT NULL,
            received_at timestamptz NOT NULL DEFAULT clock_timestamp());
        CREATE INDEX IF NOT EXISTS ix_outcome_labels_received ON outcome_labels (received_at);
        CREATE TABLE IF NOT EXISTS version_baselines (
            model_name text NOT NULL,
            model_version text NOT NULL,
            auroc double precision NULL,
            metrics jsonb NOT NULL,
            PRIMARY KEY (model_name, model_version));
        CREATE TABLE IF NOT EXISTS performance_windows (
            window_id bigserial PRIMARY KEY,
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            window_start timestamptz NOT NULL,
            window_end timestamptz NOT NULL,
            predictions integer NOT NULL,
            labeled integer NOT NULL,
            positives integer NOT NULL,
            auroc double precision NULL,
            auprc double precision NULL,
            brier double precision NULL,
            ece double precision NULL,
            median_delay_seconds double precision NULL,
            baseline_auroc double precision NULL,
            baseline_source text NULL,
            degraded boolean NULL,
            evaluated_at timestamptz NOT NULL,
            UNIQUE (model_name, model_version, variant, window_start));
        CREATE INDEX IF NOT EXISTS ix_performance_windows_model ON performance_windows (model_name, window_start DESC);
        CREATE TABLE IF NOT EXISTS performance_debounce (
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            last_reported_at timestamptz NOT NULL,
            PRIMARY KEY (model_name, model_version, variant));
        CREATE TABLE IF NOT EXISTS monitoring_alerts (
            alert_id uuid PRIMARY KEY,
            event_type text NOT NULL,
            model_name text NOT NULL,
            model_version text NOT NULL,
            variant text NOT NULL,
            message jsonb NOT NULL,
            detected_at timestamptz NOT NULL,
            published_at timestamptz NULL);
        CREATE INDEX IF NOT EXISTS ix_monitoring_alerts_unpublished ON monitoring_alerts (detected_at) WHERE published_at IS NULL;
        CREATE TABLE IF NOT EXISTS webhook_subscriptions (
            webhook_id uuid PRIMARY KEY,
            url text NOT NULL,
            secret text NOT NULL,
            event_types text[] NOT NULL,
            created_at timestamptz NOT NULL,
            deleted_at timestamptz NULL);
        CREATE TABLE IF NOT EXISTS webhook_deliveries (
            delivery_id bigserial PRIMARY KEY,
            webhook_id uuid NOT NULL REFERENCES webhook_subscriptions (webhook_id),
            alert_id uuid NOT NULL,
            event_type text NOT NULL,
            status text NOT NULL,
            attempts integer NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            created_at timestamptz NOT NULL,
            finished_at timestamptz NULL,
            UNIQUE (webhook_id, alert_id));
        CREATE INDEX IF NOT EXISTS ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
        CREATE TABLE IF NOT EXISTS webhook_attempts (
            delivery_id bigint NOT NULL REFERENCES webhook_deliveries (delivery_id),
            attempt integer NOT NULL,
            attempted_at timestamptz NOT NULL,
            status_code integer NULL,
            error text NULL,
            latency_ms double precision NOT NULL,
            PRIMARY KEY (delivery_id, attempt));
        CREATE TABLE IF NOT EXISTS slo_readings (
            instance text NOT NULL,
            model_name text NOT NULL,
            model_version text NOT NULL,
            scraped_at timestamptz NOT NULL,
            successes double precision NOT NULL,
            errors double precision NOT NULL,
            fast double precision NOT NULL,
            latency_bound_ms double precision NULL,
            total_successes double precision NOT NULL,
            total_errors double precision NOT NULL,
            total_fast double precision NOT NULL,
            PRIMARY KEY (instance, model_name, model_version, scraped_at));
        CREATE INDEX IF NOT EXISTS ix_slo_readings_version ON slo_readings (model_name, model_version, scraped_at);
        CREATE INDEX IF NOT EXISTS ix_slo_readings_time ON slo_readings (scraped_at);
        CREATE TABLE IF NOT EXISTS slo_debounce (
            model_name text NOT NULL,
            model_version text NOT NULL,
            kind text NOT NULL,
            severity text NOT NULL,
            last_reported_at timestamptz NOT NULL,
            PRIMARY KEY (model_name, model_version, kind, severity));
        ALTER TABLE slo_readings ADD COLUMN IF NOT EXISTS bucket_bounds double precision[] NULL;
        ALTER TABLE slo_readings ADD COLUMN IF NOT EXISTS buckets double precision[] NULL;
        ALTER TABLE slo_readings ADD COLUMN IF NOT EXISTS bucket_totals double precision[] NULL;
        CREATE TABLE IF NOT EXISTS slo_open_breaches (
            model_name text NOT NULL,
            model_version text NOT NULL,
            kind text NOT NULL,
            severity text NOT NULL,
            alert_id uuid NOT NULL,
            breached_at timestamptz NOT NULL,
            PRIMARY KEY (model_name, model_version, kind, severity));
        DO $$
        BEGIN
            -- Which predictions still belong to a time window not judged yet, for drift and for performance. The rounds
            -- look only at those (a partial index each), so their cost follows the open windows, not the retained
            -- history: scanning every retained prediction took 8 s a query at 575,000 rows. On upgrade the rows
            -- stored before start closed (a default, no rewrite of the table) and only those of windows not judged
            -- yet within the search period are opened: rewriting every row took minutes and blocked the service.
            IF NOT EXISTS (SELECT 1 FROM information_schema.columns
                           WHERE table_schema = current_schema() AND table_name = 'prediction_samples' AND column_name = 'drift_window_closed') THEN
                ALTER TABLE prediction_samples ADD COLUMN drift_window_closed boolean NOT NULL DEFAULT true,
                                               ADD COLUMN performance_window_closed boolean NOT NULL DEFAULT true;
                ALTER TABLE prediction_samples ALTER COLUMN drift_window_closed SET DEFAULT false,
                                               ALTER COLUMN performance_window_closed SET DEFAULT false;
                UPDATE prediction_samples s SET drift_window_closed = false
                WHERE s.predicted_at >= now() - interval '31 days' AND NOT EXISTS (
                    SELECT 1 FROM drift_windows w WHERE w.kind = 'time' AND w.model_name = s.model_name AND w.model_version = s.model_version
                      AND w.variant = s.variant AND w.window_start <= s.predicted_at AND w.window_end > s.predicted_at);
                UPDATE prediction_samples s SET performance_window_closed = false
                WHERE s.predicted_at >= now() - interval '31 days' AND NOT EXISTS (
                    SELECT 1 FROM performance_windows w WHERE w.model_name = s.model_name AND w.model_version = s.model_version
                      AND w.variant = s.variant AND w.window_start <= s.predicted_at AND w.window_end > s.predicted_at);
            END IF;
        END $$;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_drift_open ON prediction_samples (predicted_at) WHERE NOT drift_window_closed;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_performance_open ON prediction_samples (predicted_at) WHERE NOT performance_window_closed;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_performance_open_model ON prediction_samples (model_name, predicted_at) WHERE NOT performance_window_closed;
        CREATE INDEX IF NOT EXISTS ix_prediction_samples_model_time ON prediction_samples (model_name, predicted_at);
        """;

    readonly DatabaseSchema _schema = new(dataSource, Ddl, AdvisoryLockKeys.MonitoringSchema);

    /// <summary>Opens a connection, creating the tables first if this process has not yet.</summary>
    public Task<NpgsqlConnection> OpenConnectionAsync(CancellationToken cancellationToken) => _schema.OpenConnectionAsync(cancellationToken);

    /// <summary>Creates the tables if this process has not yet.</summary>
    public Task EnsureAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);
}
