// xAPI vocabulary the extension writes (design notes §5; xAPI Video Profile
// https://w3id.org/xapi/video, https://liveaspankaj.gitbooks.io/xapi-video-profile/).

export const PLATFORM = 'Browser extension';

export const VERB = {
  read: { id: 'https://w3id.org/xapi/adb/verbs/read', display: { 'en-US': 'read' } },
  experienced: { id: 'http://adlnet.gov/expapi/verbs/experienced', display: { 'en-US': 'experienced' } },
  initialized: { id: 'http://adlnet.gov/expapi/verbs/initialized', display: { 'en-US': 'initialized' } },
  played: { id: 'https://w3id.org/xapi/video/verbs/played', display: { 'en-US': 'played' } },
  paused: { id: 'https://w3id.org/xapi/video/verbs/paused', display: { 'en-US': 'paused' } },
  seeked: { id: 'https://w3id.org/xapi/video/verbs/seeked', display: { 'en-US': 'seeked' } },
  completed: { id: 'http://adlnet.gov/expapi/verbs/completed', display: { 'en-US': 'completed' } },
  terminated: { id: 'http://adlnet.gov/expapi/verbs/terminated', display: { 'en-US': 'terminated' } },
};

export const TYPE = {
  article: 'http://activitystrea.ms/article',
  link: 'http://adlnet.gov/expapi/activities/link',
  video: 'https://w3id.org/xapi/video/activity-type/video',
};

export const VIDEO_PROFILE = 'https://w3id.org/xapi/video';

const V = 'https://w3id.org/xapi/video/extensions/';
export const EXT = {
  // Cairn's result extension for articles: the deepest fraction of the page the reader
  // scrolled to, a number from 0 to 1.
  scrollDepth: 'https://cairn-lrs.github.io/xapi/extensions/scroll-depth',
  // Cairn's context extension for "I learned this": the reader's tags, an array of strings.
  tags: 'https://cairn-lrs.github.io/xapi/extensions/tags',
  time: V + 'time',
  timeFrom: V + 'time-from',
  timeTo: V + 'time-to',
  length: V + 'length',
  progress: V + 'progress',
  playedSegments: V + 'played-segments',
  sessionId: V + 'session-id',
  completionThreshold: V + 'completion-threshold',
};
