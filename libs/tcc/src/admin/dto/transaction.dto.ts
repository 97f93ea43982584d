import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsBoolean, IsIn, IsOptional, IsString, Matches } from 'class-validator';
import { PageQueryDto } from '@app/core';
import { TX_ID_PATTERN } from '../../branch-id';
import { TX_STATUSES, TxStatus } from '../../tcc.types';

export class TransactionQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TX_STATUSES })
  @IsOptional()
  @IsIn(TX_STATUSES)
  status?: TxStatus;

  @ApiPropertyOptional({ example: 'checkout' })
  @IsOptional()
  @IsString()
  @Matches(/^[A-Za-z0-9_.-]{1,64}$/, { message: 'name must be 1-64 characters of [A-Za-z0-9_.-]' })
  name?: string;

  @ApiPropertyOptional({ description: 'Only transactions flagged for an operator (true) or not (false)' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  flagged?: boolean;
}

export class TransactionIdParams {
  @ApiProperty()
  @IsString()
  @Matches(TX_ID_PATTERN, { message: 'txId must be 1-64 characters of [A-Za-z0-9_.-]' })
  txId: string;
}

export class TransactionDto {
  @ApiProperty() txId: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: TX_STATUSES }) status: TxStatus;
  @ApiProperty() deadlineAt: string;
  @ApiProperty() retryCount: number;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
  @ApiProperty({ nullable: true, type: String, description: 'USER, EXPIRED, TRY_FAILED or OPERATOR once rolled back' })
  cancelReason: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'When the recovery job will try again' })
  nextRetryAt: string | null;
  @ApiProperty({ description: 'Exceeded the retry budget: an operator should look' }) flagged: boolean;
  @ApiProperty({ nullable: true, type: String }) flaggedAt: string | null;
}

export class BranchDto {
  @ApiProperty() branchId: string;
  @ApiProperty() participant: string;
  @ApiProperty({ enum: ['TRYING', 'TRIED', 'TRY_FAILED', 'CONFIRMED', 'CANCELLED'] }) status: string;
  @ApiProperty() attempts: number;
  @ApiProperty({ nullable: true, type: String }) lastError: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;
}

export class TransactionDetailDto extends TransactionDto {
  @ApiProperty({ type: [BranchDto] }) branches: BranchDto[];
}
