package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sanxian/sanxian/admission"
	"github.com/sanxian/sanxian/batch"
	"github.com/sanxian/sanxian/geo"
	"github.com/sanxian/sanxian/report"
	"github.com/sanxian/sanxian/web"
)

// serveConfig is everything serve needs, from flags and environment.
type serveConfig struct {
	Addr      string
	DataDir   string
	LogFormat string
	Web       web.Config
	Tolerance geo.Tolerance
	Batch     batchConfig
	// AdminTokenFile is where the admin token was read from, if a file.
	AdminTokenFile string
	Conn           connTimeouts
	// Reports records every check under a report id (--reports on, the
	// default); off answers checks without ids.
	Reports bool
}

const serveUsage = `用法：sanxian serve [参数]

启动 HTTP 服务。参数（括号内为环境变量，参数优先）：
  --addr 地址          监听地址，默认 :8080；用 127.0.0.1:0 取随机端口（SANXIAN_ADDR）
  --data 目录          数据集目录（含 dataset.json；SANXIAN_DATA；默认为内置样例），或版本目录：
                       每个子目录是一个版本（目录名即版本号），ACTIVE 文件写明启用的版本，
                       没有 ACTIVE 时启用发布日期（published）最新的版本；
                       收到 SIGHUP 时重新读取 ACTIVE 并加载（失败则继续使用原版本）
  --max-body 大小      请求体上限，默认 10MB（SANXIAN_MAX_BODY）
  --max-vertices 数    场址几何顶点上限，默认 100000（SANXIAN_MAX_VERTICES）
  --max-buffer 米      缓冲距离上限，默认 50000（SANXIAN_MAX_BUFFER）
  --timeout 时长       单次请求时限，默认 10s（SANXIAN_TIMEOUT）
  --read-header-timeout 时长  读取请求头的时限，默认 10s（SANXIAN_READ_HEADER_TIMEOUT）
  --read-timeout 时长  读取整个请求（含请求体）的时限，默认 30s（SANXIAN_READ_TIMEOUT）
  --write-timeout 时长 写出回答的时限，默认为 --timeout 加 10s（SANXIAN_WRITE_TIMEOUT）
  --idle-timeout 时长  保持连接的空闲时限，默认 120s（SANXIAN_IDLE_TIMEOUT）；
                       以上四项让缓慢或停滞的客户端到时即被断开；批量上传与下载另有较长时限
  --log-format 格式    日志格式 text 或 json，默认 text（SANXIAN_LOG_FORMAT）
  --sliver-m2 面积     碎片容差（平方米），默认 1（SANXIAN_SLIVER_M2）
  --sliver-ratio 比例  碎片容差占场址面积的比例，默认 0.0001（SANXIAN_SLIVER_RATIO）；
                       重叠面积同时小于两者时视为碎片，按"边界接触"报告
  --tiles 模板         地图页面底图瓦片地址模板，含 {z} {x} {y}（可选 {s}），默认不加载底图、
                       离线可用（SANXIAN_TILES）；须为 CGCS2000/WGS84 经纬度对齐的瓦片
                       （如天地图、内网瓦片服务），高德、腾讯等 GCJ-02 底图会偏移数百米
  --tiles-attribution 文字  底图署名，显示在地图右下角（SANXIAN_TILES_ATTRIBUTION）

管理接口（POST /api/v1/admin/datasets/{版本}/activate，启用数据集版本）：
  --admin-token 令牌   管理令牌，请求头 Authorization: Bearer <令牌>（SANXIAN_ADMIN_TOKEN）；
                       不配置时管理接口关闭（回答 404 admin_disabled）；建议 32 个以上随机字符
  --admin-token-file 文件  从文件读取管理令牌（SANXIAN_ADMIN_TOKEN_FILE），免得令牌出现在进程列表中

安全：
  --cors-origins 列表  允许跨域调用接口的来源，逗号分隔，如 https://gis.example.cn,http://10.0.0.5:8080
                       （SANXIAN_CORS_ORIGINS）；默认不允许跨域（只有本站页面可调用），管理接口始终不允许
  --rate-limit 数      每个客户端 IP 每秒最多请求数（令牌桶），超过回答 429 rate_limited；默认 0 不限流
                       （SANXIAN_RATE_LIMIT）；/healthz、/readyz、/metrics 与页面文件不限流
  --rate-burst 数      每个客户端可短时连续发出的请求数，默认为速率的 2 倍、至少 20（SANXIAN_RATE_BURST）
  --trusted-proxies 列表  可信反向代理的地址或网段，逗号分隔（SANXIAN_TRUSTED_PROXIES）；只有来自它们的
                       X-Forwarded-For / X-Real-IP 才被用来识别客户端（限流与日志），默认不信任任何代理

批量筛查（/batch 页面与 /api/v1/batches 接口）：
  --state-dir 目录     任务库所在目录（SQLite），默认 $XDG_STATE_HOME/sanxian 或
                       ~/.local/state/sanxian（SANXIAN_STATE_DIR）；同一目录只能由一个进程使用
  --store 地址         改用 PostgreSQL 保存任务（postgres://…；SANXIAN_STORE），多个副本可共享
                       同一数据库并分担任务
  --batch-workers 数   并行筛查的任务块数，默认为 CPU 数（SANXIAN_BATCH_WORKERS）
  --batch-lease 时长   任务块的租约；进程中断后，其他副本在租约到期后接手，默认 2m
                       （SANXIAN_BATCH_LEASE）
  --batch-retention 时长  已完成任务的保留时间，默认 168h（SANXIAN_BATCH_RETENTION）
  --max-upload 大小    上传清单的大小上限，默认 50MB（SANXIAN_MAX_UPLOAD）
  --max-rows 数        清单行数上限，默认 200000（SANXIAN_MAX_ROWS）
  --worker-id 名称     本进程在任务库中的名称，默认为主机名-进程号（SANXIAN_WORKER_ID）

报告编号：每次核查先登记到上述任务库（SQLite 或 PostgreSQL）再回答，回答带 report_id；
单次核查的记录永久保存，GET /api/v1/reports/{编号} 查询并按当前数据版本复核。
  --reports on|off     是否登记单次核查，默认 on（SANXIAN_REPORTS）；登记要等记录落盘，
                       吞吐量约为不登记时的三分之一到一半（见 docs/reports.md）；off 时回答不带报告编号，
                       GET /api/v1/reports/{编号} 仍可查询批量筛查行与以前登记的记录
`

// parseServe reads flags with environment fallbacks.
func parseServe(args []string) (serveConfig, error) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var c serveConfig
	var maxBody, maxVertices, maxBuffer, timeout, sliverM2, sliverRatio string
	var workers, lease, retention, maxUpload, maxRows string
	var readHeader, read, write, idle string
	timeoutFlags(fs, &readHeader, &read, &write, &idle)
	var corsOrigins, rateLimit, rateBurst, trustedProxies string
	toleranceFlags(fs, &sliverM2, &sliverRatio)
	batchFlags(fs, &c.Batch, &workers, &lease, &retention, &maxUpload, &maxRows)
	fs.StringVar(&c.Addr, "addr", envOr("SANXIAN_ADDR", ":8080"), "")
	fs.StringVar(&c.DataDir, "data", envOr("SANXIAN_DATA", ""), "")
	fs.StringVar(&maxBody, "max-body", envOr("SANXIAN_MAX_BODY", "10MB"), "")
	fs.StringVar(&maxVertices, "max-vertices", envOr("SANXIAN_MAX_VERTICES", strconv.Itoa(web.DefaultMaxVertices)), "")
	fs.StringVar(&maxBuffer, "max-buffer", envOr("SANXIAN_MAX_BUFFER", strconv.Itoa(web.DefaultMaxBufferM)), "")
	fs.StringVar(&timeout, "timeout", envOr("SANXIAN_TIMEOUT", web.DefaultRequestTimeout.String()), "")
	fs.StringVar(&c.LogFormat, "log-format", envOr("SANXIAN_LOG_FORMAT", "text"), "")
	fs.StringVar(&c.Web.TilesURL, "tiles", envOr("SANXIAN_TILES", ""), "")
	fs.StringVar(&c.Web.TilesAttribution, "tiles-attribution", envOr("SANXIAN_TILES_ATTRIBUTION", ""), "")
	fs.StringVar(&c.Web.AdminToken, "admin-token", envOr("SANXIAN_ADMIN_TOKEN", ""), "")
	fs.StringVar(&c.AdminTokenFile, "admin-token-file", envOr("SANXIAN_ADMIN_TOKEN_FILE", ""), "")
	fs.StringVar(&corsOrigins, "cors-origins", envOr("SANXIAN_CORS_ORIGINS", ""), "")
	fs.StringVar(&rateLimit, "rate-limit", envOr("SANXIAN_RATE_LIMIT", "0"), "")
	fs.StringVar(&rateBurst, "rate-burst", envOr("SANXIAN_RATE_BURST", "0"), "")
	fs.StringVar(&trustedProxies, "trusted-proxies", envOr("SANXIAN_TRUSTED_PROXIES", ""), "")
	reports := envOr("SANXIAN_REPORTS", "on")
	fs.StringVar(&reports, "reports", reports, "")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if err := readAdminToken(fs, &c); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("多余的参数 %q", fs.Args())
	}
	switch reports {
	case "on":
		c.Reports = true
	case "off":
	default:
		return c, fmt.Errorf("--reports：%q 应为 on 或 off", reports)
	}
	var err error
	if c.Web.MaxBodyBytes, err = parseSize(maxBody); err != nil {
		return c, fmt.Errorf("--max-body：%w", err)
	}
	if n, err := strconv.Atoi(maxVertices); err != nil || n <= 0 {
		return c, fmt.Errorf("--max-vertices：%q 不是正整数", maxVertices)
	} else {
		c.Web.MaxVertices = n
	}
	if f, err := strconv.ParseFloat(maxBuffer, 64); err != nil || !(f > 0) {
		return c, fmt.Errorf("--max-buffer：%q 不是正数（米）", maxBuffer)
	} else {
		c.Web.MaxBufferM = f
	}
	if d, err := time.ParseDuration(timeout); err != nil || d <= 0 {
		return c, fmt.Errorf("--timeout：%q 不是正的时长（如 10s、500ms）", timeout)
	} else {
		c.Web.RequestTimeout = d
	}
	if c.Conn, err = parseTimeouts(readHeader, read, write, idle, c.Web.RequestTimeout); err != nil {
		return c, err
	}
	if c.Tolerance, err = parseTolerance(sliverM2, sliverRatio); err != nil {
		return c, err
	}
	if t := c.Web.TilesURL; t != "" && !(strings.Contains(t, "{z}") && strings.Contains(t, "{x}") && strings.Contains(t, "{y}")) {
		return c, fmt.Errorf("--tiles：瓦片地址模板应含 {z}、{x}、{y}，收到 %q", t)
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		return c, fmt.Errorf("--log-format：应为 text 或 json，收到 %q", c.LogFormat)
	}
	if err := parseBatch(&c.Batch, workers, lease, retention, maxUpload, maxRows); err != nil {
		return c, err
	}
	if err := parseSecurity(&c.Web, corsOrigins, rateLimit, rateBurst, trustedProxies); err != nil {
		return c, err
	}
	return c, nil
}

// parseSecurity reads the CORS allow-list, the rate limit and the trusted
// proxies. Lists are comma separated; empty entries are skipped.
func parseSecurity(w *web.Config, corsOrigins, rateLimit, rateBurst, trustedProxies string) error {
	for _, o := range splitList(corsOrigins) {
		n, err := web.NormalizeOrigin(o)
		if err != nil {
			return fmt.Errorf("--cors-origins：%w", err)
		}
		w.CORSOrigins = append(w.CORSOrigins, n)
	}
	r, err := strconv.ParseFloat(rateLimit, 64)
	if err != nil || r < 0 || math.IsInf(r, 0) || math.IsNaN(r) {
		return fmt.Errorf("--rate-limit：%q 不是非负数（每秒请求数，0 为不限流）", rateLimit)
	}
	w.RateLimit = r
	b, err := strconv.Atoi(rateBurst)
	if err != nil || b < 0 {
		return fmt.Errorf("--rate-burst：%q 不是非负整数", rateBurst)
	}
	w.RateBurst = b
	for _, p := range splitList(trustedProxies) {
		if _, _, err := net.ParseCIDR(p); err != nil && net.ParseIP(p) == nil {
			return fmt.Errorf("--trusted-proxies：%q 不是 IP 地址或网段（如 10.0.0.1、10.0.0.0/8）", p)
		}
		w.TrustedProxies = append(w.TrustedProxies, p)
	}
	return nil
}

// splitList splits a comma-separated flag value, trimming spaces and
// skipping empty entries.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func newLogger(format string, w io.Writer) *slog.Logger {
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// usageError prints a Chinese usage message for err and returns the exit
// code: 0 for --help, 2 otherwise.
func usageError(err error, text string, stdout, stderr io.Writer) int {
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, text)
		return exitOK
	}
	fmt.Fprintf(stderr, "参数错误：%v\n\n%s", err, text)
	return exitUsage
}

// toleranceFlags declares the sliver tolerance flags shared by serve and
// check.
func toleranceFlags(fs *flag.FlagSet, m2, ratio *string) {
	fs.StringVar(m2, "sliver-m2", envOr("SANXIAN_SLIVER_M2", strconv.FormatFloat(geo.DefaultTolerance.MinAreaM2, 'g', -1, 64)), "")
	fs.StringVar(ratio, "sliver-ratio", envOr("SANXIAN_SLIVER_RATIO", strconv.FormatFloat(geo.DefaultTolerance.SiteRatio, 'g', -1, 64)), "")
}

// parseTolerance turns the sliver flags into a tolerance; both must be
// finite and ≥ 0, the ratio below 1.
func parseTolerance(m2, ratio string) (geo.Tolerance, error) {
	tol := geo.DefaultTolerance
	a, err := strconv.ParseFloat(m2, 64)
	if err != nil || a < 0 || math.IsInf(a, 0) || math.IsNaN(a) {
		return tol, fmt.Errorf("--sliver-m2：%q 不是非负数（平方米）", m2)
	}
	r, err := strconv.ParseFloat(ratio, 64)
	if err != nil || r < 0 || r >= 1 || math.IsNaN(r) {
		return tol, fmt.Errorf("--sliver-ratio：%q 应为 0 到 1 之间的比例，如 0.0001", ratio)
	}
	tol.MinAreaM2, tol.SiteRatio = a, r
	return tol, nil
}

// loadDataset reads, validates and indexes the dataset folder dir (the
// active version when dir is a versions directory; see loadData), or the
// embedded sample when dir is empty, with the given sliver tolerance.
func loadDataset(dir string, tol geo.Tolerance) (*admission.Dataset, error) {
	d, _, _, err := loadData(dir, admission.Options{Tolerance: tol})
	return d, err
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseServe(args)
	if err != nil {
		return usageError(err, serveUsage, stdout, stderr)
	}
	log := newLogger(cfg.LogFormat, stderr)
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	// SIGHUP reloads the dataset (see datasets.reload) instead of ending
	// the process; registered before anything is served.
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)

	start := time.Now()
	var store admission.Store
	datasets, err := openDatasets(cfg.DataDir, admission.Options{Tolerance: cfg.Tolerance}, &store, log)
	if err != nil {
		log.Error("数据集加载失败", "error", err)
		fmt.Fprintf(stderr, "数据集加载失败：%v\n", err)
		return exitFail
	}
	go func() {
		for {
			select {
			case <-hup:
				_ = datasets.reload() // logged
			case <-ctx.Done():
				return
			}
		}
	}()
	d := store.Current()
	info := d.Info()
	counts := make([]any, 0, 2*len(d.Layers()))
	for _, l := range d.Layers() {
		counts = append(counts, slog.Int(l.ID, len(l.Features)))
	}
	log.Info("数据集已加载", "name", info.Name, "version", info.Version, "checksum", info.Checksum,
		"duration", time.Since(start).Round(time.Millisecond), slog.Group("features", counts...))
	if datasets.vers != nil {
		log.Info("数据目录是版本目录", "active", datasets.serving.Load().id)
	}
	cfg.Web.Datasets = datasets.admin()
	switch n := len(cfg.Web.AdminToken); {
	case n == 0:
		log.Info("管理接口未启用（未配置管理令牌）")
	case n < 16:
		log.Warn("管理接口已启用，但管理令牌少于 16 个字符，容易被猜中", "token_file", cfg.AdminTokenFile)
	default:
		log.Info("管理接口已启用", "token_file", cfg.AdminTokenFile)
	}

	if len(cfg.Web.CORSOrigins) > 0 {
		log.Info("允许跨域调用", "origins", strings.Join(cfg.Web.CORSOrigins, ","))
	}
	if cfg.Web.RateLimit > 0 {
		log.Info("已按客户端限流", "per_second", cfg.Web.RateLimit, "burst", cfg.Web.RateBurst, "trusted_proxies", strings.Join(cfg.Web.TrustedProxies, ","))
	}

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		log.Error("无法监听", "addr", cfg.Addr, "error", err)
		fmt.Fprintf(stderr, "无法监听 %s：%v\n", cfg.Addr, err)
		return exitFail
	}
	jobs, where, err := openStore(ctx, cfg.Batch)
	if err != nil {
		log.Error("无法打开批量筛查任务库", "store", where, "error", err)
		fmt.Fprintln(stderr, storeOpenError(cfg.Batch, where, err))
		return exitFail
	}
	defer jobs.Close()
	if free, err := freeSpace(cfg.Batch.StateDir); cfg.Batch.StoreURL == "" && err == nil && free < lowSpace {
		log.Warn("批量筛查任务库所在磁盘剩余空间不足，磁盘写满后新的上传将被拒绝（507 storage_full）", "state_dir", where, "free_bytes", free)
	}
	runner := &batch.Runner{Store: jobs, Datasets: &store, Worker: cfg.Batch.WorkerID, Workers: cfg.Batch.Workers,
		Lease: cfg.Batch.Lease, Retention: cfg.Batch.Retention, Limits: geo.Limits{MaxVertices: cfg.Web.MaxVertices}, Log: log}
	runCtx, stopRunner := context.WithCancel(context.WithoutCancel(ctx))
	runnerDone := make(chan struct{})
	go func() {
		defer close(runnerDone)
		runner.Run(runCtx)
	}()
	defer func() {
		stopRunner()
		<-runnerDone
	}()
	log.Info("批量筛查任务库已打开", "store", where, "worker", cfg.Batch.WorkerID, "workers", cfg.Batch.Workers)
	cfg.Web.Sites = siteParser{}
	cfg.Web.Batches = &web.Batches{Store: jobs, Files: batchFiles{}, Notify: runner.Notify, MaxUploadBytes: cfg.Batch.MaxUpload, MaxRows: cfg.Batch.MaxRows}
	// Report records go to the same store, committed in groups by one
	// writer; closed after the server (deferred later, runs first) so
	// that checks in flight are recorded.
	commits := newCommitMetrics()
	cfg.Web.Reports = &web.Reports{Store: jobs}
	if cfg.Reports {
		recorder := report.NewRecorder(jobs, report.RecorderOptions{}, commits.observe)
		defer recorder.Close()
		cfg.Web.Reports.Recorder = recorder
	}
	handler := web.New(&store, cfg.Web, log)
	handler.Registry().MustRegister(commits.entries, commits.duration, commits.failed)
	srv := &http.Server{
		Handler:           handler,
		ReadHeaderTimeout: cfg.Conn.ReadHeader,
		ReadTimeout:       cfg.Conn.Read,
		WriteTimeout:      cfg.Conn.Write,
		IdleTimeout:       cfg.Conn.Idle,
		MaxHeaderBytes:    1 << 20,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	fmt.Fprintf(stdout, "sanxian 正在监听 http://%s\n", ln.Addr())
	log.Info("开始服务", "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		log.Error("服务异常退出", "error", err)
		return exitFail
	case <-ctx.Done():
	}
	log.Info("正在关闭：等待进行中的请求完成")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Error("关闭超时", "error", err)
		return exitFail
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("服务异常退出", "error", err)
		return exitFail
	}
	log.Info("已关闭")
	return exitOK
}

// commitMetrics describe the report recorder's group commits.
type commitMetrics struct {
	entries  prometheus.Histogram
	duration prometheus.Histogram
	failed   prometheus.Counter
}

func newCommitMetrics() *commitMetrics {
	return &commitMetrics{
		entries: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sanxian_report_commit_entries",
			Help:    "Report records per group commit.",
			Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256, 512},
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "sanxian_report_commit_duration_seconds",
			Help:    "Duration of a report group commit (one transaction).",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 5},
		}),
		failed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "sanxian_report_commit_failures_total",
			Help: "Report group commits that failed (their checks were answered without a report id).",
		}),
	}
}

func (m *commitMetrics) observe(b report.BatchStats) {
	m.entries.Observe(float64(b.Entries))
	m.duration.Observe(b.Duration.Seconds())
	if b.Err != nil {
		m.failed.Inc()
	}
}
