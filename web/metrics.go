package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metrics lives in a per-server registry: nothing is registered globally.
type metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
}

func newMetrics(src DatasetSource) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sanxian_http_requests_total",
			Help: "HTTP requests by method, route template and status.",
		}, []string{"method", "route", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "sanxian_http_request_duration_seconds",
			Help:    "HTTP request latency by method, route template and status.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route", "status"}),
	}
	m.reg.MustRegister(m.requests, m.duration, datasetCollector{src: src},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

func (m *metrics) observe(method, route string, status int, d time.Duration) {
	st := strconv.Itoa(status)
	m.requests.WithLabelValues(method, route, st).Inc()
	m.duration.WithLabelValues(method, route, st).Observe(d.Seconds())
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var (
	descDatasetInfo = prometheus.NewDesc("sanxian_dataset_info",
		"The dataset in service (value 1), labelled with its name, version and checksum.",
		[]string{"name", "version", "checksum"}, nil)
	descDatasetLoaded = prometheus.NewDesc("sanxian_dataset_loaded",
		"1 when a dataset is in service, 0 otherwise.", nil, nil)
	descLayerFeatures = prometheus.NewDesc("sanxian_dataset_layer_features",
		"Number of features per layer of the dataset in service.", []string{"layer"}, nil)
)

// datasetCollector reads the dataset in service at scrape time, so a
// replaced dataset shows at once without any bookkeeping.
type datasetCollector struct{ src DatasetSource }

func (c datasetCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- descDatasetInfo
	ch <- descDatasetLoaded
	ch <- descLayerFeatures
}

func (c datasetCollector) Collect(ch chan<- prometheus.Metric) {
	d := c.src.Current()
	if d == nil {
		ch <- prometheus.MustNewConstMetric(descDatasetLoaded, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descDatasetLoaded, prometheus.GaugeValue, 1)
	info := d.Info()
	ch <- prometheus.MustNewConstMetric(descDatasetInfo, prometheus.GaugeValue, 1, info.Name, info.Version, info.Checksum)
	for _, l := range d.Layers() {
		ch <- prometheus.MustNewConstMetric(descLayerFeatures, prometheus.GaugeValue, float64(len(l.Features)), l.ID)
	}
}
