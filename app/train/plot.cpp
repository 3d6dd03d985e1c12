#include "app/train/plot.h"

#include "io/files.h"

#include <plplot/plstream.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <unistd.h>

namespace dl::app {
namespace {
// PLplot's cmap0 indices we use: 1 red, 2 yellow, 3 green, 9 blue, 15 black on a white background.
constexpr int kColors[] = {9, 1, 3, 12, 13, 8};
}  // namespace

void plot_series(const std::vector<Series>& series, const std::string& title, const std::string& x_label,
                 const std::string& y_label, const std::string& png_path) {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const auto& s : series)
    for (size_t i = 0; i < s.x.size(); ++i) {
      if (!std::isfinite(s.y[i])) continue;
      x0 = std::min(x0, s.x[i]), x1 = std::max(x1, s.x[i]);
      y0 = std::min(y0, s.y[i]), y1 = std::max(y1, s.y[i]);
    }
  if (!(x0 <= x1)) throw std::runtime_error("plot '" + title + "': no data to plot");
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  const double pad = 0.05 * (y1 - y0);

  io::check_replaceable(png_path);
  const std::string tmp = png_path + ".tmp." + std::to_string(::getpid()) + ".png";
  {
    plstream pls;
    pls.sdev("pngcairo");
    pls.sfnam(tmp.c_str());
    pls.spage(0, 0, 1000, 600, 0, 0);
    pls.scolbg(255, 255, 255);
    pls.scol0(15, 0, 0, 0);  // PLplot's colour 15 is white by default: make it black for axes and text
    pls.init();
    pls.col0(15);
    pls.env(x0, x1, y0 - pad, y1 + pad, 0, 0);
    pls.lab(x_label.c_str(), y_label.c_str(), title.c_str());
    std::vector<PLINT> colors, line_styles, symbol_colors, box_colors, box_patterns;
    std::vector<PLFLT> line_widths, symbol_scales, box_scales, box_widths;
    std::vector<PLINT> opts, symbol_numbers;
    std::vector<const char*> texts, symbols;
    for (size_t k = 0; k < series.size(); ++k) {
      const auto& s = series[k];
      const int color = kColors[k % std::size(kColors)];
      pls.col0(color);
      std::vector<PLFLT> x(s.x.begin(), s.x.end()), y(s.y.begin(), s.y.end());
      if (s.points) pls.poin(static_cast<PLINT>(x.size()), x.data(), y.data(), 17);
      else pls.line(static_cast<PLINT>(x.size()), x.data(), y.data());
      opts.push_back(s.points ? PL_LEGEND_SYMBOL : PL_LEGEND_LINE);
      colors.push_back(color);
      line_styles.push_back(1);
      line_widths.push_back(1.0);
      symbol_colors.push_back(color);
      symbol_scales.push_back(1.0);
      symbol_numbers.push_back(1);
      symbols.push_back("#(728)");
      texts.push_back(s.label.c_str());
      box_colors.push_back(0), box_patterns.push_back(0), box_scales.push_back(0), box_widths.push_back(0);
    }
    PLFLT legend_w, legend_h;
    const auto n = static_cast<PLINT>(series.size());
    pls.col0(15);
    pls.legend(&legend_w, &legend_h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, PL_POSITION_BOTTOM | PL_POSITION_RIGHT,
               0.02, 0.02, 0.1, 0, 15, 1, 0, 0, n, opts.data(), 1.0, 1.0, 2.0, 1.0, colors.data(), texts.data(),
               box_colors.data(), box_patterns.data(), box_scales.data(), box_widths.data(), colors.data(),
               line_styles.data(), line_widths.data(), symbol_colors.data(), symbol_scales.data(),
               symbol_numbers.data(), symbols.data());
  }  // the stream's destructor finishes the file
  io::commit_temp_file(tmp, png_path);
}

void plot_learning_curve(const std::vector<MetricRow>& rows, const std::string& title, const std::string& png_path) {
  Series raw{"episodic return", {}, {}, false}, smooth{"smoothed (EMA 0.95)", {}, {}, false},
      eval{"evaluation (test tracks)", {}, {}, true};
  double ema = NAN;
  for (const auto& r : rows) {
    if (r.name == "charts/episodic_return") {
      raw.x.push_back(r.step), raw.y.push_back(r.value);
      ema = std::isnan(ema) ? r.value : 0.95 * ema + 0.05 * r.value;
      smooth.x.push_back(r.step), smooth.y.push_back(ema);
    } else if (r.name == "eval/return_mean") {
      eval.x.push_back(r.step), eval.y.push_back(r.value);
    }
  }
  std::vector<Series> series;
  for (auto* s : {&raw, &smooth, &eval})
    if (!s->x.empty()) series.push_back(*s);
  plot_series(series, title, "env steps", "return", png_path);
}

}  // namespace dl::app
