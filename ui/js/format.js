// Turns numbers and dates into the plain English the pages show:
// "120 photos and 3 videos", "Saturday, 14 June 2024", "May – June 2024", "1:23",
// "About 2 minutes left", "Pictures" (a folder's name from its path).

const MONTHS = [
  'January', 'February', 'March', 'April', 'May', 'June',
  'July', 'August', 'September', 'October', 'November', 'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export function number(value) {
  return Number(value ?? 0).toLocaleString('en-GB');
}

export function plural(count, one, many) {
  return count === 1 ? one : many;
}

// The one way the pages count what is in an album or a message, videos apart from
// photos: "3 photos", "1 video", "120 photos and 3 videos", "No photos yet".
export function countLabel(photoCount, videoCount) {
  const photos = Math.max(0, photoCount || 0);
  const videos = Math.max(0, videoCount || 0);
  const photoText = `${number(photos)} ${plural(photos, 'photo', 'photos')}`;
  const videoText = `${number(videos)} ${plural(videos, 'video', 'videos')}`;
  if (videos === 0) return photos === 0 ? 'No photos yet' : photoText;
  if (photos === 0) return videoText;
  return `${photoText} and ${videoText}`;
}

// Reads the calendar date and clock time exactly as written in an RFC 3339 string.
// Converting through the computer's time zone would move a photo taken late in the
// evening abroad onto the next day; the camera's own clock is what people remember.
export function parseTakenAt(value) {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2}))?/.exec(value ?? '');
  if (!match) return null;
  const [, year, month, day, hour, minute] = match;
  return {
    year: Number(year),
    month: Number(month),
    day: Number(day),
    hour: hour == null ? null : Number(hour),
    minute: minute == null ? null : Number(minute),
  };
}

export function dayKey(when) {
  return `${when.year}-${when.month}-${when.day}`;
}

// "Saturday, 14 June 2024"
export function longDate(when) {
  const weekday = WEEKDAYS[new Date(Date.UTC(when.year, when.month - 1, when.day)).getUTCDay()];
  return `${weekday}, ${shortDate(when)}`;
}

// "14 June 2024"
export function shortDate(when) {
  return `${when.day} ${MONTHS[when.month - 1]} ${when.year}`;
}

// "3:45 pm", or '' when the time is not known.
export function timeOfDay(when) {
  if (when?.hour == null) return '';
  const hour12 = when.hour % 12 === 0 ? 12 : when.hour % 12;
  const minute = String(when.minute ?? 0).padStart(2, '0');
  return `${hour12}:${minute} ${when.hour < 12 ? 'am' : 'pm'}`;
}

function monthYear(when) {
  return `${MONTHS[when.month - 1]} ${when.year}`;
}

// "June 2024", "May – June 2024", "December 2023 – January 2024", or '' if unknown.
export function monthRange(firstTakenAt, lastTakenAt) {
  let start = parseTakenAt(firstTakenAt);
  let end = parseTakenAt(lastTakenAt);
  if (!start && !end) return '';
  if (!start || !end) return monthYear(start ?? end);
  if (start.year * 12 + start.month > end.year * 12 + end.month) [start, end] = [end, start];
  if (start.year === end.year && start.month === end.month) return monthYear(start);
  if (start.year === end.year) return `${MONTHS[start.month - 1]} – ${monthYear(end)}`;
  return `${monthYear(start)} – ${monthYear(end)}`;
}

// "1:23" or "1:02:03"; '' when there is no duration.
export function durationLabel(milliseconds) {
  if (milliseconds == null || !Number.isFinite(milliseconds) || milliseconds < 0) return '';
  // A clip shorter than half a second still reads better as "0:01" than "0:00".
  const total = Math.max(milliseconds > 0 ? 1 : 0, Math.round(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, '0');
  if (hours > 0) return `${hours}:${String(minutes).padStart(2, '0')}:${seconds}`;
  return `${minutes}:${seconds}`;
}

// Rounded on purpose: an estimate that jumps between 118 and 124 seconds is noise.
export function timeLeftLabel(seconds) {
  if (seconds == null || !Number.isFinite(seconds) || seconds < 0) return '';
  if (seconds < 50) return 'Less than a minute left';
  const minutes = Math.round(seconds / 60);
  if (minutes <= 1) return 'About 1 minute left';
  if (minutes < 60) return `About ${minutes} minutes left`;
  let hours = Math.floor(minutes / 60);
  let rest = Math.round((minutes % 60) / 10) * 10;
  if (rest === 60) {
    hours += 1;
    rest = 0;
  }
  const hourText = `${hours} ${plural(hours, 'hour', 'hours')}`;
  return rest ? `About ${hourText} and ${rest} minutes left` : `About ${hourText} left`;
}

// The last part of a folder's path: "/home/anne/Pictures" and "C:\Users\Anne\Pictures\"
// both give "Pictures". A path with no name of its own ("/") is shown whole.
export function folderName(path) {
  const text = String(path ?? '');
  const parts = text.replace(/[\\/]+$/, '').split(/[\\/]/);
  return parts[parts.length - 1] || text;
}

// "3.2 GB", "850 MB", "12 KB": decimal units, as phones and stores show sizes.
export function sizeLabel(bytes) {
  const value = Math.max(0, Number(bytes) || 0);
  const units = [['GB', 1e9], ['MB', 1e6], ['KB', 1e3]];
  for (const [unit, size] of units) {
    if (value >= size) {
      const amount = value / size;
      return `${amount >= 100 ? Math.round(amount) : amount.toFixed(1).replace(/\.0$/, '')} ${unit}`;
    }
  }
  return `${Math.round(value)} bytes`;
}

// "12 of 340 in the cloud".
export function inCloudLabel(inCloud, total) {
  if (!total) return '';
  if (inCloud >= total) return 'All in the family cloud';
  return `${number(inCloud)} of ${number(total)} in the family cloud`;
}
