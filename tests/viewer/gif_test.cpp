#include <catch2/catch.hpp>

#include <gif_lib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "video/gif.h"
#include "video/video.h"
#include "viewer_test_util.h"

using namespace dl;

namespace {

raster::Image solid(int w, int h, sim::Color c) {
  raster::Image img{w, h, std::vector<uint8_t>(static_cast<size_t>(w) * h * 3)};
  for (size_t i = 0; i < img.rgb.size(); i += 3) img.rgb[i] = c.r, img.rgb[i + 1] = c.g, img.rgb[i + 2] = c.b;
  return img;
}

struct SlurpedGif {
  GifFileType* gif = nullptr;
  explicit SlurpedGif(const std::string& path) {
    int error = 0;
    gif = DGifOpenFileName(path.c_str(), &error);
    REQUIRE(gif != nullptr);
    REQUIRE(DGifSlurp(gif) == GIF_OK);
  }
  ~SlurpedGif() {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
  sim::Color pixel(int frame, int x, int y) const {
    const SavedImage& img = gif->SavedImages[frame];
    const ColorMapObject* map = img.ImageDesc.ColorMap ? img.ImageDesc.ColorMap : gif->SColorMap;
    const GifColorType c = map->Colors[img.RasterBits[y * img.ImageDesc.Width + x]];
    return {c.Red, c.Green, c.Blue};
  }
};

}  // namespace

TEST_CASE("a written GIF reads back with its size and frame count and delay", "[viewer][gif]") {
  viewer::testing::TempDir dir("gif");
  const std::string path = dir.file("clip.gif");
  {
    video::GifWriter gif(path, 48, 32, 4);
    gif.add_frame(solid(48, 32, {102, 204, 102}));
    gif.add_frame(solid(48, 32, {102, 102, 102}));
    gif.add_frame(solid(48, 32, {204, 0, 0}));
    CHECK_FALSE(std::filesystem::exists(path));  // nothing under the final name until finished
    gif.finish();
  }
  REQUIRE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
  SlurpedGif g(path);
  CHECK(g.gif->SWidth == 48);
  CHECK(g.gif->SHeight == 32);
  REQUIRE(g.gif->ImageCount == 3);
  GraphicsControlBlock gcb;
  REQUIRE(DGifSavedExtensionToGCB(g.gif, 1, &gcb) == GIF_OK);
  CHECK(gcb.DelayTime == 4);
  // The sim's palette colours survive quantization exactly.
  CHECK(g.pixel(0, 5, 5) == sim::Color{102, 204, 102});
  CHECK(g.pixel(1, 47, 31) == sim::Color{102, 102, 102});
  CHECK(g.pixel(2, 0, 0) == sim::Color{204, 0, 0});
}

TEST_CASE("an unfinished GIF leaves no file behind", "[viewer][gif]") {
  viewer::testing::TempDir dir("gif_abandoned");
  const std::string path = dir.file("abandoned.gif");
  {
    video::GifWriter gif(path, 8, 8, 2);
    gif.add_frame(solid(8, 8, {0, 0, 0}));
  }
  CHECK_FALSE(std::filesystem::exists(path));
  CHECK_FALSE(std::filesystem::exists(path + ".tmp"));
}

TEST_CASE("every colour maps to a palette entry within the palette's spacing", "[viewer][gif]") {
  for (int r = 0; r < 256; r += 17)
    for (int g = 0; g < 256; g += 17)
      for (int b = 0; b < 256; b += 17) {
        const sim::Color c = video::gif_palette_color(video::gif_palette_index(uint8_t(r), uint8_t(g), uint8_t(b)));
        CHECK(std::abs(c.r - r) <= 26);
        CHECK(std::abs(c.g - g) <= 26);
        CHECK(std::abs(c.b - b) <= 26);
      }
  // Greys that are not multiples of 51 (the road's alternate tiles) use the grey ramp.
  const sim::Color road_alt = video::gif_palette_color(video::gif_palette_index(106, 106, 106));
  CHECK(std::abs(road_alt.r - 106) <= 4);
}

TEST_CASE("frames of the wrong size and unknown formats are refused", "[viewer][gif]") {
  viewer::testing::TempDir dir("gif_errors");
  video::GifWriter gif(dir.file("a.gif"), 8, 8, 2);
  CHECK_THROWS_AS(gif.add_frame(solid(9, 8, {})), std::invalid_argument);
  CHECK_THROWS_AS(video::open_video(dir.file("a.avi"), 8, 8, 0.04), std::invalid_argument);
  CHECK_THROWS_AS(video::write_image(solid(8, 8, {}), dir.file("a.jpg")), std::invalid_argument);
}

TEST_CASE("MP4 frames are piped raw to an ffmpeg command and the file appears when finished", "[viewer][video]") {
  // A stand-in ffmpeg that stores its input under the output name (its last argument), so the test
  // checks the pipe and the atomic rename without needing a real encoder.
  viewer::testing::TempDir dir("mp4");
  const std::string fake = dir.file("ffmpeg");
  {
    std::ofstream script(fake);
    script << "#!/bin/sh\nfor last; do :; done\ncat > \"$last\"\n";
  }
  std::filesystem::permissions(fake, std::filesystem::perms::owner_all);
  const std::string old_path = std::getenv("PATH") ? std::getenv("PATH") : "";
  ::setenv("PATH", (dir.path.string() + ":" + old_path).c_str(), 1);
  const std::string path = dir.file("clip.mp4");
  {
    auto video = video::open_video(path, 16, 8, 0.04);
    video->add_frame(solid(16, 8, {1, 2, 3}));
    video->add_frame(solid(16, 8, {4, 5, 6}));
    CHECK_FALSE(std::filesystem::exists(path));
    video->finish();
    CHECK(video->frames() == 2);
  }
  ::setenv("PATH", old_path.c_str(), 1);
  REQUIRE(std::filesystem::exists(path));
  CHECK(std::filesystem::file_size(path) == 2u * 16 * 8 * 3);
}
