// Command ferretdb runs an embedded FerretDB v1 (SQLite backend) for Flowra's
// local and CI integration tests.
//
// FerretDB's own CLI cannot be built with a plain `go install` (it panics on a
// missing generated version file), so this tiny wrapper uses the embeddable
// github.com/FerretDB/FerretDB/ferretdb package instead.
//
// Usage:
//
//	ferretdb [-listen-addr 127.0.0.1:27017] [-data-dir .cache/data/ferretdb] [-log-level info]
//	ferretdb -ping [-listen-addr 127.0.0.1:27017]
//
// Defaults may also come from FERRETDB_LISTEN_ADDR, FERRETDB_DATA_DIR and
// FERRETDB_LOG_LEVEL. The server runs until SIGINT or SIGTERM.
//
// With -ping it does not serve: it sends a MongoDB "ping" command to the
// listen address and exits 0 on success, 1 otherwise (a readiness probe for
// scripts/services.sh, which cannot count on mongosh being installed).
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"go.mongodb.org/mongo-driver/bson"
	"go.mongodb.org/mongo-driver/mongo"
	"go.mongodb.org/mongo-driver/mongo/options"
)

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// ping sends the "ping" command to a MongoDB-compatible server at addr.
func ping(addr string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()

	opts := options.Client().
		ApplyURI("mongodb://" + addr + "/?directConnection=true").
		SetServerSelectionTimeout(timeout).
		SetConnectTimeout(timeout)

	client, err := mongo.Connect(ctx, opts)
	if err != nil {
		return err
	}
	defer client.Disconnect(context.Background()) //nolint:errcheck // best effort

	return client.Database("admin").RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err()
}

func run() error {
	listenAddr := flag.String("listen-addr", envOr("FERRETDB_LISTEN_ADDR", "127.0.0.1:27017"),
		"TCP listen address (env FERRETDB_LISTEN_ADDR)")
	dataDir := flag.String("data-dir", envOr("FERRETDB_DATA_DIR", "data/ferretdb"),
		"SQLite data directory, created if missing (env FERRETDB_DATA_DIR)")
	logLevel := flag.String("log-level", envOr("FERRETDB_LOG_LEVEL", "info"),
		"log level: debug, info, warn, error (env FERRETDB_LOG_LEVEL)")
	doPing := flag.Bool("ping", false, "only ping the server at -listen-addr and exit")
	flag.Parse()

	if *doPing {
		if err := ping(*listenAddr, 2*time.Second); err != nil {
			return fmt.Errorf("ping %s: %w", *listenAddr, err)
		}
		fmt.Println("ok")

		return nil
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return fmt.Errorf("invalid log level %q: %w", *logLevel, err)
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	dir, err := filepath.Abs(*dataDir)
	if err != nil {
		return fmt.Errorf("resolving data dir: %w", err)
	}
	if err = os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("creating data dir: %w", err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener: ferretdb.ListenerConfig{
			TCP: *listenAddr,
		},
		Logger:    logger,
		Handler:   "sqlite",
		SQLiteURL: "file:" + dir + "/",
	})
	if err != nil {
		return fmt.Errorf("creating FerretDB: %w", err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	logger.Info("starting FerretDB", "listen", *listenAddr, "data_dir", dir)

	if err = f.Run(ctx); err != nil {
		return fmt.Errorf("running FerretDB: %w", err)
	}

	logger.Info("FerretDB stopped")

	return nil
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "ferretdb:", err)
		os.Exit(1)
	}
}
