export { homeserverRecords, signHomeserverPacket, HTTP_PORT_PARAM, type HomeserverAddress } from './homeserver-packet.ts';
export { pkarrPublisher, type PkarrPublisherHandle, type PkarrPublisherOptions } from './publisher.ts';
export { UserRepublisher, type RepublishOutcome, type RepublishSummary, type UserRepublisherOptions } from './user-republisher.ts';
